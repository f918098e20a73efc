"""Requests faxnum makes to addresses its users give it: webhook deliveries."""
