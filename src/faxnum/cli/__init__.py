"""The `faxnum` command line."""
