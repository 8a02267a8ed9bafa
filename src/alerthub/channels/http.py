"""What a channel sends HTTP through, and what it gets back: a small protocol of alerthub's own, so
channels do not depend on one client library. Delivery implements it (delivery/client.py); its
failures are the `HttpFailure` family in errors.py."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from alerthub.validation import json_without_nul


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    """A service's answer, read whole. `headers` look up case-insensitively; `content` is decoded
    from any Content-Encoding and capped by the client; `json()` holds no U+0000 (`json_without_nul`)."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode(_charset(self.headers.get("Content-Type", "")), errors="replace")

    def json(self) -> object:
        return json_without_nul(self.content, json.loads(self.content))


class HttpClient(Protocol):
    async def request(
        self,
        method: str,
        url: str,
        *,
        json: object | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        timeout: float,
    ) -> HttpAnswer:
        """Raises HttpFailure (errors.py) when no answer came: timed out, unreachable, garbled, or
        refused before sending."""
        ...


def _charset(content_type: str) -> str:
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            charset = value.strip('"')
            try:
                "".encode(charset)
            except LookupError:
                return "utf-8"
            return charset
    return "utf-8"
