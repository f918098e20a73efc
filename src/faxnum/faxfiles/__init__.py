"""Fax files: checked on arrival, shown to their holder as a PDF and a page-1 preview."""
