"""The credential PagerDuty clients send: the `routing_key` in the JSON body, not a header.

Uptime Kuma's PagerDuty notification, PagerDuty's SDKs and Zabbix's media type have a field for the
integration key and none for an `Authorization` header. So for `POST /v2/enqueue` and
`POST /v2/change/enqueue` without one, access control (api/auth.py) reads the body here first, within
`server.max_body_bytes`, and hands the endpoint the same bytes through a replaying `receive`: the body
is read from the network once, and a body the endpoint would refuse is refused here with the same answer
(415, 413, 400 for malformed JSON, in PagerDuty's shape).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import Message, Receive, Scope

from alerthub.api.body import check_json_type, read_body
from alerthub.errors import InputError, Problem
from alerthub.sources.pagerduty import INVALID
from alerthub.validation import parse_json

WHAT_IS_ACCEPTED = "an ingest token or a key of integrations.pagerduty.routing_keys"


async def read_replayable(scope: Scope, receive: Receive, max_bytes: int) -> tuple[bytes, Receive]:
    """The whole body, and a `receive` that gives it again (then whatever the client sends next: a
    disconnect). Raises InputError (415, 413) or ClientDisconnect as the endpoint's own read would."""
    request = Request(scope, receive)
    check_json_type(request)
    body = await read_body(request, max_bytes)
    return body, replay(body, receive)


def replay(body: bytes, receive: Receive) -> Receive:
    pending = True

    async def replayed() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


def routing_key_in(body: bytes) -> str:
    """The event's routing key; InputError 400 for a body that is not JSON or carries none."""
    data = parse_json(body)
    key = data.get("routing_key") if isinstance(data, dict) else None
    if not isinstance(key, str) or not key:
        raise refused(f"required: send {WHAT_IS_ACCEPTED}, or an Authorization: Bearer header")
    return key


def refused(why: str) -> InputError:
    """PagerDuty's answer to a key it does not know: 400 "Event object is invalid"."""
    return InputError(INVALID, [Problem("body.routing_key", why)], 400)
