"""Splitting a monolithic module into a package: plan (units, edges, clusters), apply, verify."""
