"""Hiding a channel's secrets in text that leaves it: an error a remote answered, an exception.

A remote's error page rarely quotes a secret whole. Express answers `Cannot POST /hooks/<token>`,
others quote the path URL-encoded, HTML-escaped, JSON-escaped, one segment of it, or cut short.
So each secret is split into the parts that are secret on their own (a webhook URL's token and id
segments, its query values and user-info, a bot token's halves) and every part is hidden in each
of those spellings; a long enough run of a part's characters is hidden too, which catches a quote
the remote (or our own cap) cut in the middle.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from urllib.parse import quote, quote_plus, unquote, unquote_plus

from pydantic import BaseModel, SecretStr

HIDDEN = "***"
MIN_PART = 6  # a shorter part is not a credential (the whole secret is still hidden)
LONG = 16  # a part this long, or with a digit, is hidden inside a longer word too; a short word only whole
RUN = 8  # this many characters of a part in a row are a leak, wherever the quote was cut

_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#(.*))?", re.S)
# A path segment or query value made of words ("services", "webhooks", "sendMessage") is the
# route, not the key; anything with a digit or a long random run is the key.
_WORD = re.compile(r"[A-Za-z]{1,16}(?:[-_.][A-Za-z]{1,16})*")
_RUN = re.compile(rf"[A-Za-z0-9_~-]{{{RUN},}}")
_AFTER = r"(?:(?<![A-Za-z0-9])|(?<=%[0-9A-Fa-f]{2}))"  # a word starts after a non-letter or a `%2F`


def secret_values(config: BaseModel) -> tuple[str, ...]:
    """Every secret string of a channel's config. A header value counts unless it is short or a
    plain word (`X-Team: web`): the config cannot say which hold a credential (`Bearer …`)."""
    found: list[str] = []
    for name, value in vars(config).items():
        if name == "headers" and isinstance(value, dict):
            found += [v for v in value.values() if isinstance(v, str) and _secretish(v)]
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, SecretStr) and item.get_secret_value():
                found.append(item.get_secret_value())
    return tuple(found)


def scrub(text: str, config: BaseModel) -> str:
    """`text` with every part of every secret of `config` replaced by `***`."""
    secrets = secret_values(config)
    return hide(text, secrets) if secrets else text


def hider(config: BaseModel) -> Callable[[str], str]:
    """`scrub` bound to one channel's config, for code that must not know about configs."""
    return lambda text: scrub(text, config)


def hide(text: str, secrets: tuple[str, ...]) -> str:
    pattern, parts = _compiled(secrets)
    text = pattern.sub(HIDDEN, text)
    return _RUN.sub(lambda m: HIDDEN if any(m.group().lower() in part for part in parts) else m.group(), text)


def secret_parts(secret: str) -> list[str]:
    """The pieces of one secret that are secret on their own."""
    match = _URL.fullmatch(secret)
    if match is None:  # a bot token `123456:ABC…`, a header value `Bearer …`, a password
        return [p for p in re.split(r"[\s:]+", secret) if _secretish(p) and p != secret]
    scheme, netloc, path, query, fragment = match.groups()
    userinfo, _, host = netloc.rpartition("@")
    found: list[str] = []
    if userinfo:
        # user:password@ is a credential whatever it looks like; the client sends it as Basic auth.
        found += [userinfo, *(p for p in userinfo.split(":") if len(p) >= 3)]
        found.append(base64.b64encode(unquote(userinfo).encode()).decode())
    if scheme.lower() not in ("http", "https"):
        found += [p for p in host.split(":") if _secretish(p)]  # Apprise keeps tokens where a host would be
    segments = [s for s in path.split("/") if s]
    # A webhook's last segment is its token, even when it reads like a word.
    found += [s for i, s in enumerate(segments) if _secretish(s, last=i == len(segments) - 1)]
    values = [pair.partition("=")[2] for pair in (query or "").split("&")]
    found += [v for v in [*values, fragment or ""] if _secretish(v)]
    return found


def _secretish(part: str, *, last: bool = False) -> bool:
    return len(part) >= MIN_PART and (last or _WORD.fullmatch(unquote_plus(part)) is None)


def spellings(text: str) -> set[str]:
    """How a remote may quote `text`: as is, URL-decoded or -encoded, with `+` for spaces,
    HTML-escaped (an error page), with JSON's escapes (`\\/`). Matching ignores case, which covers
    `%3a` against `%3A` and a remote that lowercases what it quotes."""
    found: set[str] = set()
    for plain in {text, unquote(text), unquote_plus(text)}:
        for form in (
            plain,
            quote(plain, safe=""),
            quote(plain, safe="/:@!$&'()*+,;=~"),
            quote_plus(plain, safe=""),
            plain.replace("/", "\\/"),
            json.dumps(plain)[1:-1],
        ):
            found |= {form, html.escape(form)}
    return {f for f in found if f}


@lru_cache(maxsize=64)
def _compiled(secrets: tuple[str, ...]) -> tuple[re.Pattern[str], tuple[str, ...]]:
    """One pattern for every spelling of every secret and part, longest first so a whole URL is one
    `***`; and the parts' spellings that a cut-off run is looked up in."""
    whole = {form for secret in secrets for form in spellings(secret)}
    parts = {form for secret in secrets for part in secret_parts(secret) for form in spellings(part)}
    alternatives = [(form, re.escape(form)) for form in whole]
    for form in parts - whole:
        bounded = len(form) < LONG and not any(ch.isdigit() for ch in form)
        escaped = re.escape(form)
        alternatives.append((form, rf"{_AFTER}{escaped}(?![A-Za-z0-9])" if bounded else escaped))
    alternatives.sort(key=lambda item: len(item[0]), reverse=True)
    # A password or token that is no URL is a part as a whole too: a cut quote of it is a leak.
    plain = {form for secret in secrets if _URL.fullmatch(secret) is None for form in spellings(secret)}
    return re.compile("|".join(a for _, a in alternatives), re.IGNORECASE), tuple(_long(parts | plain))


def _long(parts: Iterable[str]) -> list[str]:
    return [p.lower() for p in parts if len(p) >= RUN]
