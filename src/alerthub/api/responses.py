from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import JSONResponse as _StarletteJSONResponse


# Subclassing the JSON response (not the plain one) is what makes FastAPI document the body as JSON
# in /openapi.json instead of as a string.
class JSONResponse(_StarletteJSONResponse):
    """orjson-encoded JSON: fast on the ingest path, and it refuses NaN rather than writing invalid JSON."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)
