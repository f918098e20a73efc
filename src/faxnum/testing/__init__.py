"""Helpers for the test suite and the benchmarks: real server processes on free
loopback ports, and throwaway PostgreSQL and Redis servers. Nothing here serves."""
