from __future__ import annotations

from pathlib import Path

import pytest

from codeopt.config import Settings, load_settings
from codeopt.errors import ConfigError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_defaults_without_any_config(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    assert settings.fail_on == "warning"
    assert settings.config_files == ()
    assert settings.project_root == str(tmp_path.resolve())


def test_nearest_table_wins_and_merges_until_root(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.codeopt]\nfail-on = "error"\nexclude = ["gen/"]\n')
    write(tmp_path / "sub" / "pyproject.toml", '[tool.codeopt]\nfail-on = "info"\n')
    settings = load_settings(tmp_path / "sub" / "x.py")
    assert settings.fail_on == "info"
    assert settings.exclude == ("gen/",)
    assert len(settings.config_files) == 2
    assert settings.project_root == str((tmp_path / "sub").resolve())


def test_root_true_stops_the_search(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.codeopt]\nexclude = ["gen/"]\n')
    write(tmp_path / "sub" / "pyproject.toml", "[tool.codeopt]\nroot = true\n")
    settings = load_settings(tmp_path / "sub")
    assert settings.exclude == ()


def test_pyproject_without_table_is_skipped(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.codeopt]\nfail-on = "error"\n')
    write(tmp_path / "sub" / "pyproject.toml", '[project]\nname = "x"\n')
    assert load_settings(tmp_path / "sub").fail_on == "error"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("fail-onn = 'error'", "unknown key tool.codeopt.fail-onn"),
        ("fail_on = 'error'", "did you mean 'fail-on'"),
        ("max-file-size = 'big'", "tool.codeopt.max-file-size must be a non-negative integer"),
        ("exclude = 'build'", "tool.codeopt.exclude must be a list of strings"),
        ("fail-on = 'loud'", "must be one of info, warning, error, never"),
        ("respect-gitignore = 1", "must be true or false"),
        ("file-timeout = -1", "must be a positive number"),
        ("per-file-ignores = { 'tests/*' = 'CO101' }", "per-file-ignores must be a table"),
    ],
)
def test_bad_keys_name_file_and_key(tmp_path: Path, body: str, expected: str) -> None:
    config = write(tmp_path / "pyproject.toml", f"[tool.codeopt]\n{body}\n")
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path)
    assert expected in str(info.value)
    assert str(config) in str(info.value)


def test_broken_toml_is_one_line_error(tmp_path: Path) -> None:
    config = write(tmp_path / "pyproject.toml", "[tool.codeopt\n")
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path)
    assert str(config) in str(info.value) and "invalid TOML" in str(info.value)
    assert "\n" not in str(info.value).strip() or str(info.value).count("\n") <= 1


def test_overrides_ignore_none() -> None:
    settings = Settings().with_overrides(fail_on="error", jobs=None)
    assert settings.fail_on == "error" and settings.jobs == 0
