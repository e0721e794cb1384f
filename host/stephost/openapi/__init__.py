"""OpenAPI 3.1 documents of a project's api steps (served at /openapi.json, written by `stephost openapi`)."""

from stephost.openapi.document import ApiInfo, openapi_document, project_info

__all__ = ["ApiInfo", "openapi_document", "project_info"]
