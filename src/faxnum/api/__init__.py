"""The HTTP edge: the Fax.to v2 wire contract over FastAPI."""
