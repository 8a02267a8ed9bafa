from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, TypeVar, cast
from urllib.parse import urlsplit

import orjson
from pydantic import AfterValidator, AwareDatetime, BaseModel, Field, ValidationError

from alerthub.errors import InputError, Problem

M = TypeVar("M", bound=BaseModel)
J = TypeVar("J")

# The instants Python can hold in UTC. An offset time outside them (`0001-01-01T00:00:00+05:00`) parses,
# then overflows wherever it is converted to UTC (the store, the Alertmanager parser): a 500. The earliest
# is Alertmanager's zero time, which webhook bodies send as "no end".
EARLIEST = datetime.min.replace(tzinfo=UTC)
LATEST = datetime.max.replace(tzinfo=UTC)


def within_range(value: datetime) -> datetime:
    # Comparing aware datetimes subtracts their offsets as timedeltas: no conversion, no overflow.
    if not EARLIEST <= value <= LATEST:
        raise ValueError("must be between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z (UTC)")
    return value


# Every datetime taken from outside (bodies, query parameters): timezone-aware and convertible to UTC.
Timestamp = Annotated[AwareDatetime, AfterValidator(within_range)]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The same range in whole seconds since 1970, for senders that send Unix time (HetrixTools).
EPOCH_SECONDS = Field(ge=(EARLIEST - _EPOCH) // timedelta(seconds=1), le=(LATEST - _EPOCH) // timedelta(seconds=1))


def parse_json(body: bytes) -> Any:
    """Strict JSON: NaN, Infinity and trailing garbage are malformed (400), not values. Free of U+0000
    (see `without_nul`)."""
    if not body.strip():
        raise InputError("the request body is empty; send a JSON document", [Problem("body", "empty")], 400)
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InputError(f"malformed JSON: {exc}", [Problem("body", str(exc))], 400) from None
    return json_without_nul(body, data)


# JSON can carry U+0000 only escaped; a raw NUL byte in a string is malformed.
_NUL_ESCAPE = b"\\u0000"
NUL, REPLACEMENT = "\x00", "\ufffd"


def json_without_nul(raw: bytes, data: J) -> J:
    """`data`, decoded from the JSON text `raw`, made `without_nul`; walked only when `raw` holds the
    escape, the one way JSON carries U+0000, so that an ordinary body costs a byte search."""
    return without_nul(data) if _NUL_ESCAPE in raw else data


def without_nul(data: J) -> J:
    """`data` with every U+0000, in keys and values, made U+FFFD. PostgreSQL's text and jsonb cannot
    hold U+0000 (SQLite can: the same alert must read the same on both), and refusing the body would
    drop every other alert sent with it: Prometheus does not retry a batch answered 4xx."""
    cleaned: Any = data
    if isinstance(data, str):
        cleaned = data.replace(NUL, REPLACEMENT)
    elif isinstance(data, list):
        cleaned = [without_nul(item) for item in data]
    elif isinstance(data, dict):
        cleaned = {without_nul(key): without_nul(value) for key, value in data.items()}
    return cast("J", cleaned)


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


# Which URLs from outside may become a link (see channels/links.py for why).
_NEVER = frozenset('<>"`{}|\\^')
# Control and format characters (zero-width, bidi overrides) and every kind of space or line break.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})
# The same test for ASCII text, where those are the controls, DEL and the space: every message's alert
# links pass here, and a category looked up per character was a few per cent of a storm (bench/NOTES.md).
_ASCII_UNSAFE = re.compile("[\\x00-\\x20\\x7f" + re.escape("".join(sorted(_NEVER))) + "]")


def usable_url(text: str | None) -> bool:
    """An http(s) URL with a host and only characters a URL may hold: safe to write into a link."""
    if not text or not text.lower().startswith(("http://", "https://")):
        return False
    if text.isascii():
        if _ASCII_UNSAFE.search(text):
            return False
    elif any(ch in _NEVER or ch.isspace() or unicodedata.category(ch) in _INVISIBLE for ch in text):
        return False
    try:
        return bool(urlsplit(text).hostname)
    except ValueError:  # an unclosed `[` of an IPv6 host
        return False
