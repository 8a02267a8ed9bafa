"""Reading a request body with the limits every input path shares: 415, 413, then 400."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from alerthub.errors import InputError, Problem
from alerthub.validation import parse_json


async def read_body(request: Request, max_bytes: int) -> bytes:
    check_declared_length(request.headers.get("content-length"), max_bytes)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise too_large(max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


def check_declared_length(declared: str | None, max_bytes: int) -> None:
    """Refuse a body announced too large before reading a byte of it."""
    if declared is None:
        return
    if not declared.isdigit():
        raise InputError("invalid Content-Length", [Problem("headers.content-length", "not a number")], 400)
    if int(declared) > max_bytes:
        raise too_large(max_bytes)


async def read_json(request: Request, max_bytes: int, *, require_json_type: bool = True) -> Any:
    if require_json_type:
        check_json_type(request)
    return parse_json(await read_body(request, max_bytes))


def check_json_type(request: Request) -> None:
    check_json_media(request.headers.get("content-type", ""))


def check_json_media(content_type: str) -> None:
    media = content_type.split(";", 1)[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        raise InputError(
            f"unsupported content type {media or '(none)'!r}; send application/json",
            [Problem("headers.content-type", "must be application/json")],
            415,
        )


def too_large(max_bytes: int) -> InputError:
    return InputError(
        f"request body larger than {max_bytes} bytes", [Problem("body", f"at most {max_bytes} bytes")], 413
    )
