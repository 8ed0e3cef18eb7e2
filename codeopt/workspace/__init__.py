"""Changing a user's tree safely: atomic multi-file change sets, git state, verification commands."""
