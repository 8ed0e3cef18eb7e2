"""codeopt: make large Python codebases faster to load and easier to change, safely."""

__version__ = "0.1.0"
