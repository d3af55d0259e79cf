"""The JSON API under /api/: views, parameter validation, queries and the OpenAPI document."""
