"""Secrets at rest: API-key encryption, password hashing, the operator's secret."""
