"""The versioned REST API (``/api/v1/``): authentication, permissions, core endpoints."""
