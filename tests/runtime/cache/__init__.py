"""Tests of codeopt_runtime.cache."""
