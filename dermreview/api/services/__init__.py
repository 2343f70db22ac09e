"""Services of the API package: API tokens and exports (writes with their audit events)."""
