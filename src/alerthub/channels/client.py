"""The delivery worker's HTTP client: httpx's API over the lean transport, with a short path past the
client layer for plain requests.

Channels call `http.request(...)` (channels/base.py `request`). On this client such a call builds the
`httpx.Request` exactly as httpx would (the client's default headers merged with the call's, JSON and
query parameters encoded by httpx) and hands it straight to the transport: no auth flow, redirect
loop, cookie jar or event hooks, none of which delivery uses. That halved the CPU of a webhook POST
again (~0.14 → ~0.07 ms on loopback). Anything else (streaming, auth, cookies, a proxy from the
environment) takes httpx's ordinary path over the same transport.
"""

from __future__ import annotations

import ssl
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from alerthub.channels.transport import LoopTransport

_PLAIN = frozenset({"content", "json", "params", "headers", "timeout"})


class DeliveryClient(httpx.AsyncClient):
    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self.loop_transport = LoopTransport(ssl_context)
        # Redirects are not followed: a webhook that moves is a failure to see, not to chase with the payload.
        super().__init__(follow_redirects=False, transport=self.loop_transport)
        # A proxy configured in the environment is httpx's business (its mounts): no short path then.
        self.direct = not urllib.request.getproxies()

    async def request(self, method: str, url: httpx.URL | str, **options: Any) -> httpx.Response:
        if not self.direct or options.keys() - _PLAIN or self.cookies:
            return await super().request(method, url, **options)
        request = httpx.Request(
            method,
            url,
            content=options.get("content"),
            json=options.get("json"),
            params=options.get("params"),
            headers=_merged(self.headers, options.get("headers")),
            extensions={"timeout": _timeout(options.get("timeout", httpx.USE_CLIENT_DEFAULT), self.timeout)},
        )
        response = await self.loop_transport.handle_async_request(request)
        response.request = request
        await response.aread()  # the body is in memory already; this decodes any Content-Encoding
        return response


def _merged(defaults: httpx.Headers, extra: Mapping[str, str] | None) -> httpx.Headers:
    headers = httpx.Headers(defaults)
    if extra:
        headers.update(extra)
    return headers


def _timeout(given: object, default: httpx.Timeout) -> dict[str, float | None]:
    if given is None:
        return httpx.Timeout(None).as_dict()  # asked for no timeout at all, as httpx reads `timeout=None`
    if isinstance(given, int | float):
        return httpx.Timeout(float(given)).as_dict()
    if isinstance(given, httpx.Timeout):
        return given.as_dict()
    return default.as_dict()


def delivery_client(ssl_context: ssl.SSLContext | None = None) -> httpx.AsyncClient:
    return DeliveryClient(ssl_context)


ClientFactory = Callable[[], httpx.AsyncClient]
