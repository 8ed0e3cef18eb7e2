"""Metrics collection and alerting: Prometheus exposition, Alertmanager-style rules and notifications."""
