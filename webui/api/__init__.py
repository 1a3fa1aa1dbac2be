"""The JSON API /api/v1 (token auth, CSRF-exempt) and its OpenAPI document."""
