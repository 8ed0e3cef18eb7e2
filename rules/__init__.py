"""Built-in codeopt rules: one module per rule, discovered by the rule engine."""
