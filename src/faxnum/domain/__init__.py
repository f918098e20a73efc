"""Plain-Python domain: value objects, entities and errors; no HTTP, no SQL."""
