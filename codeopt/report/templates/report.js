// Progressive enhancement only: the page is complete without this. Click a column header to sort.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  function value(row, index) {
    var cell = row.cells[index];
    if (!cell) return "";
    var v = cell.getAttribute("data-v");
    if (v === null) return cell.textContent.trim().toLowerCase();
    return v === "" ? -Infinity : parseFloat(v);
  }
  function sort(table, th) {
    var index = Array.prototype.indexOf.call(th.parentNode.children, th);
    var body = table.tBodies[0];
    var current = th.getAttribute("aria-sort");
    var numeric = body.rows.length > 0 && body.rows[0].cells[index].hasAttribute("data-v");
    // first click: numbers largest first, text A to Z; later clicks flip
    var descending = current ? current === "ascending" : numeric;
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = value(a, index), y = value(b, index);
      var c = x < y ? -1 : x > y ? 1 : 0;
      return descending ? -c : c;
    });
    Array.prototype.forEach.call(th.parentNode.children, function (other) { other.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", descending ? "descending" : "ascending");
    var fragment = document.createDocumentFragment();
    rows.forEach(function (row) { fragment.appendChild(row); });
    body.appendChild(fragment);
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      th.classList.add("sortable");
      th.tabIndex = 0;
      th.addEventListener("click", function () { sort(table, th); });
      th.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sort(table, th); }
      });
    });
  });
})();
