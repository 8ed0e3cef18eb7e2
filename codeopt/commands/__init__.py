"""Use cases: one module per command, between the CLI and the analyses."""
