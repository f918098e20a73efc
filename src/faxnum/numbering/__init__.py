"""Real numbering data: ISO countries, subdivisions, dial codes, geocoded cities."""
