"""Use cases, one module each; every one takes a unit of work and commits it itself."""
