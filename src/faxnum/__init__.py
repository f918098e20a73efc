"""faxnum: fax number (DID) provisioning over the Fax.to v2 REST API."""

__version__ = "0.1.0"
