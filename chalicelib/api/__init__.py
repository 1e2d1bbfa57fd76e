"""The HTTP edge: routes, request and response schemas, access rules, error mapping and the OpenAPI document."""
