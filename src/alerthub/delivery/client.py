"""The delivery worker's HTTP client: the channels' `HttpClient` over one aiohttp session.

aiohttp used directly cost the least CPU per send of the clients measured (bench/NOTES.md, "Outbound
HTTP"). What delivery asks of it beyond aiohttp's defaults: redirects are not followed (a webhook that
moves is a failure to see, not to chase with the payload); an answer is read whole but capped, and its
head bounded, so a hostile endpoint cannot fill memory; a header that would split the request is
refused before anything is sent; and every failure becomes an `HttpFailure` naming what happened.
"""

from __future__ import annotations

import re
import ssl
import urllib.request
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from types import TracebackType

import aiohttp
import certifi
import orjson

from alerthub.channels.http import HttpAnswer, HttpClient
from alerthub.errors import HttpRequestRefused, HttpTimeout, HttpUnreachable

MAX_BODY = 4 * 1024 * 1024  # a service's answer is a few KB; beyond this the rest is dropped
MAX_HEADERS = 64  # header lines of an answer; aiohttp caps each line at 8 KiB
KEEPALIVE = 5.0  # seconds an idle connection is kept: below the usual servers' own idle timeouts
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_SPLITS = re.compile(r"[\r\n\x00]")


class DeliveryClient:
    """Use as `async with DeliveryClient() as http:`; one session and connection pool per worker."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self._ssl = ssl_context
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> DeliveryClient:
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=self._ssl or _public_roots(), keepalive_timeout=KEEPALIVE),
            headers={"User-Agent": "alerthub"},
            skip_auto_headers=("Content-Type",),  # aiohttp would label raw bytes application/octet-stream
            timeout=aiohttp.ClientTimeout(total=None),
            max_headers=MAX_HEADERS,
            # A proxy set in the environment is used, as any HTTP tool does; without one, aiohttp is
            # not asked to look for it, which it does in a thread on every request.
            trust_env=bool(urllib.request.getproxies()),
        )
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._session is not None:
            await self._session.close()

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
        if self._session is None:
            raise RuntimeError("DeliveryClient is used outside `async with`")
        sent = _checked(headers or {})
        if json is not None:
            content = orjson.dumps(json)
            sent.setdefault("Content-Type", "application/json")
        # Each wait (connecting, then every read) may last this long, not the whole.
        limits = aiohttp.ClientTimeout(total=None, connect=timeout, sock_read=timeout)
        try:
            async with self._session.request(
                method, url, data=content, headers=sent, params=params, allow_redirects=False, timeout=limits
            ) as response:
                return HttpAnswer(response.status, response.headers, await _read(response))
        except aiohttp.ConnectionTimeoutError as exc:
            raise HttpTimeout("ConnectTimeout", str(exc)) from exc
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise HttpTimeout("ReadTimeout", str(exc)) from exc
        except aiohttp.InvalidURL as exc:
            raise HttpRequestRefused("InvalidURL", f"invalid URL {exc}") from exc
        except aiohttp.ClientConnectorError as exc:
            raise HttpUnreachable("ConnectError", str(exc)) from exc
        except aiohttp.ClientResponseError as exc:  # an answer aiohttp could not parse
            raise HttpUnreachable("RemoteProtocolError", exc.message) from exc
        except aiohttp.ClientError as exc:
            raise HttpUnreachable("RemoteProtocolError", str(exc) or type(exc).__name__) from exc


def delivery_client(ssl_context: ssl.SSLContext | None = None) -> DeliveryClient:
    return DeliveryClient(ssl_context)


ClientFactory = Callable[[], AbstractAsyncContextManager[HttpClient]]


async def _read(response: aiohttp.ClientResponse) -> bytes:
    """The body, decoded; past MAX_BODY the rest is dropped with its connection."""
    body = bytearray()
    async for chunk in response.content.iter_chunked(64 * 1024):
        body += chunk
        if len(body) >= MAX_BODY:
            response.close()
            return bytes(body[:MAX_BODY])
    return bytes(body)


def _checked(headers: Mapping[str, str]) -> dict[str, str]:
    """A copy of `headers`; a name that is not an HTTP token or a value with a line break or NUL would
    let outside text split the request apart, so it is refused before anything is sent."""
    for name, value in headers.items():
        if not _TOKEN.fullmatch(name) or _SPLITS.search(value):
            raise HttpRequestRefused("LocalProtocolError", f"invalid header {name!r}")
    return dict(headers)


def _public_roots() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=certifi.where())
