"""/openapi.json describes the error bodies alerthub really sends.

FastAPI documents its own 422 shape (`{"detail": [ValidationError]}`), but api/errors.py answers every
error, 422 included, with `{"detail": "<what is wrong>", "errors": [{"loc", "msg"}]}`. Clients generated
from the document, and the schema fuzz test, rely on the document being true.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERROR_BODY: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["detail", "errors"],
    "properties": {
        "detail": {"type": "string", "description": "what is wrong, in one sentence"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["loc", "msg"],
                "properties": {
                    "loc": {"type": "string", "description": "where: body.labels.host, query.limit, ..."},
                    "msg": {"type": "string"},
                },
            },
        },
    },
}


def document_error_bodies(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            schemas = schema.get("components", {}).get("schemas", {})
            if "HTTPValidationError" in schemas:
                schemas["HTTPValidationError"] = ERROR_BODY
                schemas.pop("ValidationError", None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
