"""LibCST codemods that make imports and attributes lazy and pool expensive objects."""
