"""One exception tree for codeopt, so the CLI can map every expected failure to a one-line message.

::

    CodeoptError                      base: message is what the user sees, with file and reason
    ├── ConfigError                   a broken or unknown [tool.codeopt] key, a bad CLI value
    ├── SourceError                   a file that cannot be analysed: read, decode, parse
    │   ├── UnreadableFile            permissions, a vanished file, a symlink loop, a directory
    │   ├── DecodeFailure             bytes that are not text in the declared (or default) encoding
    │   ├── TooLarge                  over the configured size limit
    │   └── ParseFailure              not valid Python for any supported version
    ├── RuleError                     a rule that cannot be loaded or configured
    ├── BaselineError                 a baseline file that cannot be read
    └── TransformError                a change that cannot be applied or verified safely
        ├── Refused                   the code does something the change cannot preserve (names the line)
        ├── LayoutError               a split layout file that is malformed or places a definition wrongly
        ├── DirtyTree                 uncommitted changes in files the change would touch
        ├── WriteFailure              the change set could not be written; everything was rolled back
        └── VerificationFailed        checks or the user's command failed after the change; rolled back

Expected failures are raised as these and reported in one line (``path: reason``); anything else is a
bug and keeps its traceback.
"""

from __future__ import annotations

from pathlib import Path


class CodeoptError(Exception):
    """Base of every error codeopt reports to the user as one line."""

    def __init__(self, message: str, path: Path | str | None = None) -> None:
        self.path = str(path) if path is not None else None
        self.reason = message
        super().__init__(f"{self.path}: {message}" if self.path else message)


class ConfigError(CodeoptError):
    """Configuration that codeopt cannot accept; the message names file and key."""


class SourceError(CodeoptError):
    """A file that cannot be analysed; the run goes on with the other files."""


class UnreadableFile(SourceError):
    """The file could not be read (permissions, symlink loop, vanished)."""


class DecodeFailure(SourceError):
    """The bytes do not decode with the PEP 263 declared or default encoding."""


class TooLarge(SourceError):
    """The file is over the configured size limit."""


class ParseFailure(SourceError):
    """The text is not valid Python for any version codeopt can parse."""


class RuleError(CodeoptError):
    """A rule that cannot be loaded, or options that do not fit it."""


class BaselineError(CodeoptError):
    """A baseline file that cannot be read or has the wrong shape."""


class TransformError(CodeoptError):
    """A change that cannot be applied or verified safely; nothing was written."""


class Refused(TransformError):
    """The code does something the change cannot preserve; the message names the line and the reason."""


class LayoutError(TransformError):
    """A layout file (``codeopt split --layout``) that is malformed or misplaces a definition."""


class DirtyTree(TransformError):
    """Files the change would touch have uncommitted changes (override with ``--allow-dirty``)."""


class WriteFailure(TransformError):
    """Writing the change set failed part-way; every file written so far was restored."""


class VerificationFailed(TransformError):
    """The change was applied, then failed a check or the ``--verify`` command, and was rolled back."""
