from __future__ import annotations

from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError

from alerthub.errors import InputError, Problem

M = TypeVar("M", bound=BaseModel)


def parse_json(body: bytes) -> Any:
    """Strict JSON: NaN, Infinity and trailing garbage are malformed (400), not values."""
    if not body.strip():
        raise InputError("the request body is empty; send a JSON document", [Problem("body", "empty")], 400)
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InputError(f"malformed JSON: {exc}", [Problem("body", str(exc))], 400) from None


def validate(model: type[M], data: Any, *, root: str = "body") -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [Problem(location(root, e["loc"]), e["msg"]) for e in exc.errors(include_url=False)]
        summary = "; ".join(str(p) for p in problems[:5])
        raise InputError(f"invalid request: {summary}", problems) from None


def location(root: str, loc: tuple[int | str, ...]) -> str:
    out = root
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out
