"""A stdlib-only Chrome DevTools Protocol client over ``--remote-debugging-pipe``.

Why a pipe: it needs no port, no HTTP discovery and no websocket package; Chromium reads
NUL-terminated JSON messages on fd 3 and writes them on fd 4. The tests and ``bench/report.py`` use
it to load a report, watch every network request and console message, time the load and take a
screenshot.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--mute-audio",
    # Anything that tries the network goes to a dead port, so it fails instead of leaving the machine.
    "--proxy-server=127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
    "--remote-debugging-pipe",
)


class CDPError(RuntimeError):
    pass


def find_chromium() -> str | None:
    for candidate in (os.environ.get("CODEOPT_CHROMIUM", ""), CHROMIUM, "chromium", "chromium-browser"):
        if candidate and (found := shutil.which(candidate)):
            return found
    return None


@dataclass
class PageLoad:
    """What happened while one page loaded."""

    url: str
    requests: list[str] = field(default_factory=list)  # every URL the page asked for
    failed: list[str] = field(default_factory=list)  # "url: errorText"
    console_errors: list[str] = field(default_factory=list)  # console.error, exceptions, log errors
    load_ms: float = 0.0  # navigation start to the end of the load event (Navigation Timing)
    wall_ms: float = 0.0  # Page.navigate sent to Page.loadEventFired received


class Browser:
    """One headless Chromium, one page; every call waits for its reply (``timeout`` seconds)."""

    def __init__(self, binary: str, *, timeout: float = 60.0, width: int = 1280, height: int = 900) -> None:
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="codeopt-chromium-")
        self.log = open(os.path.join(self.profile, "chromium.log"), "wb")  # noqa: SIM115
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        # The child's ends go to fds >= 10 first, so the dup2 to 3 and 4 below cannot clobber them.
        child_in = fcntl.fcntl(to_child_r, fcntl.F_DUPFD_CLOEXEC, 10)
        child_out = fcntl.fcntl(from_child_w, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(to_child_r)
        os.close(from_child_w)
        devnull = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
        argv = [
            binary,
            *FLAGS,
            f"--user-data-dir={self.profile}",
            f"--window-size={width},{height}",
            "--enable-logging=stderr",
            "--v=0",
            "about:blank",
        ]
        actions = [
            (os.POSIX_SPAWN_DUP2, devnull, 0),
            (os.POSIX_SPAWN_DUP2, self.log.fileno(), 1),
            (os.POSIX_SPAWN_DUP2, self.log.fileno(), 2),
            (os.POSIX_SPAWN_DUP2, child_in, 3),
            (os.POSIX_SPAWN_DUP2, child_out, 4),
        ]
        try:
            self.pid = os.posix_spawn(binary, argv, os.environ, file_actions=actions, setsid=True)
        finally:
            for fd in (child_in, child_out, devnull):
                os.close(fd)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        self.session = ""

    # -- protocol -----------------------------------------------------------------------------

    def send(self, method: str, params: dict[str, Any] | None = None, *, session: bool = True) -> Any:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise CDPError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str) -> dict[str, Any]:
        """The first event ``method`` not yet consumed (waiting for it); earlier events are kept."""
        for index, event in enumerate(self.events):
            if event.get("method") == method:
                return self.events.pop(index)
        while True:
            event = self._read()
            if event.get("method") == method:
                return event
            self.events.append(event)

    def _read(self) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_child], [], [], left)[0]:
                raise CDPError(f"no message from chromium within {self.timeout} s")
            chunk = os.read(self._from_child, 1 << 20)
            if not chunk:
                raise CDPError(f"chromium closed the pipe; log: {self.log_text()[-2000:]}")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        data: dict[str, Any] = json.loads(message)
        return data

    def log_text(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(encoding="utf-8", errors="replace")

    # -- a page -------------------------------------------------------------------------------

    def open_page(self) -> None:
        """Attach to the first page target (flat session) and enable the domains we watch."""
        targets = self.send("Target.getTargets", session=False)["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.send(
            "Target.attachToTarget", {"targetId": page["targetId"], "flatten": True}, session=False
        )["sessionId"]
        for domain in ("Page", "Network", "Runtime", "Log"):
            self.send(f"{domain}.enable")

    def load(self, url: str) -> PageLoad:
        if not self.session:
            self.open_page()
        self.events.clear()
        result = PageLoad(url)
        start = time.perf_counter()
        navigated = self.send("Page.navigate", {"url": url})
        if navigated.get("errorText"):
            raise CDPError(f"navigation to {url} failed: {navigated['errorText']}")
        self.wait_for("Page.loadEventFired")
        result.wall_ms = (time.perf_counter() - start) * 1000
        timing = self.evaluate(
            "(() => { const n = performance.getEntriesByType('navigation')[0];"
            " return n ? n.loadEventEnd : -1; })()"
        )
        result.load_ms = float(timing)
        self.send("Runtime.evaluate", {"expression": "0"})  # flush events queued before the reply
        for event in self.events:
            self._record(event, result)
        return result

    @staticmethod
    def _record(event: dict[str, Any], result: PageLoad) -> None:
        method, params = event.get("method"), event.get("params", {})
        if method == "Network.requestWillBeSent":
            result.requests.append(params["request"]["url"])
        elif method == "Network.loadingFailed":
            result.failed.append(f"{params.get('requestId')}: {params.get('errorText')}")
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            result.console_errors.append(details.get("exception", {}).get("description") or details["text"])
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            result.console_errors.append(
                " ".join(str(a.get("value", a.get("description"))) for a in params["args"])
            )
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            result.console_errors.append(f"{params['entry'].get('url', '')}: {params['entry']['text']}")

    def evaluate(self, expression: str) -> Any:
        reply = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in reply:
            raise CDPError(f"{expression}: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    def viewport(self, width: int, height: int) -> None:
        """The page's CSS viewport, whatever the window's decorations take (for screenshots)."""
        if not self.session:
            self.open_page()
        params = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}
        self.send("Emulation.setDeviceMetricsOverride", params)

    def screenshot(self, path: Path, *, full_page: bool = False) -> Path:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            size = self.send("Page.getLayoutMetrics")["cssContentSize"]
            params["clip"] = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
            params["captureBeyondViewport"] = True
        data = self.send("Page.captureScreenshot", params)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        with suppress(CDPError, OSError):
            self.send("Browser.close", session=False)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            pid, _ = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                break
            time.sleep(0.05)
        else:
            os.killpg(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        for fd in (self._to_child, self._from_child):
            os.close(fd)
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)


@contextmanager
def browser(binary: str, **kwargs: Any) -> Iterator[Browser]:
    instance = Browser(binary, **kwargs)
    try:
        yield instance
    finally:
        instance.close()
