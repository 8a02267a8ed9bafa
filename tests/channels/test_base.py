from __future__ import annotations

import httpx
import pytest

from alerthub.channels import CHANNEL_TYPES, classify_http
from alerthub.channels.base import redact_url, retry_after
from alerthub.errors import DeliveryError


def response(status: int, *, json: object = None, text: str | None = None, **headers: str) -> httpx.Response:
    if json is not None:
        return httpx.Response(status, json=json, headers=headers)
    return httpx.Response(status, text=text or "", headers=headers)


@pytest.mark.parametrize("status", [200, 201, 204])
def test_2xx_is_success(status: int) -> None:
    classify_http(response(status))


@pytest.mark.parametrize(
    ("status", "retryable"),
    [(408, True), (429, True), (500, True), (503, True), (400, False), (401, False), (403, False), (404, False)],
)
def test_classification(status: int, retryable: bool) -> None:
    with pytest.raises(DeliveryError) as caught:
        classify_http(response(status, text="nope"))
    assert caught.value.retryable is retryable and caught.value.status == status


def test_retry_after_sources() -> None:
    assert retry_after(response(429, json={"retry_after": 0.757}, **{"Retry-After": "1"})) == 0.757
    assert retry_after(response(429, json={"ok": False, "parameters": {"retry_after": 15}})) == 15
    assert retry_after(response(429, **{"Retry-After": "30"})) == 30
    dated = response(503, **{"Retry-After": "Fri, 27 Nov 2026 09:01:00 GMT", "Date": "Fri, 27 Nov 2026 09:00:00 GMT"})
    assert retry_after(dated) == 60
    assert retry_after(response(503, **{"Retry-After": "soon"})) is None


def test_redact_url_keeps_only_the_first_path_segment() -> None:
    assert redact_url("https://hooks.slack.com/services/T0/B0/secret") == "https://hooks.slack.com/services/***"


def test_the_registry_covers_every_channel_type_in_the_config() -> None:
    from typing import get_args

    from alerthub.channels.registry import ChannelConfig

    union = get_args(get_args(ChannelConfig)[0])
    types = {get_args(model.model_fields["type"].annotation)[0] for model in union}
    assert types == set(CHANNEL_TYPES)


def test_scrub_hides_every_secret_of_a_channel() -> None:
    from alerthub.channels.apprise import AppriseChannelConfig
    from alerthub.channels.base import scrub

    cfg = AppriseChannelConfig.model_validate({"name": "a", "type": "apprise", "urls": ["tgram://tok1/1", "json://x"]})
    assert scrub("failed: tgram://tok1/1 and json://x", cfg) == "failed: *** and ***"


def test_a_garbled_date_header_does_not_break_reading_retry_after() -> None:
    # The Retry-After date then counts from our own clock instead of raising out of classify_http.
    garbled = response(503, **{"Retry-After": "Fri, 27 Nov 2026 09:01:00 GMT", "Date": "not a date"})
    with pytest.raises(DeliveryError) as caught:
        classify_http(garbled)
    assert caught.value.retryable and isinstance(caught.value.retry_after, float)


def test_an_error_list_beside_the_message_is_kept() -> None:
    # PagerDuty's 400: the message only says the event is invalid; `errors` says which field.
    body = {"status": "invalid event", "message": "Event object is invalid", "errors": ["'payload' is missing"]}
    with pytest.raises(DeliveryError) as caught:
        classify_http(response(400, json=body))
    assert str(caught.value) == "HTTP 400: Event object is invalid: 'payload' is missing"
    discord = {"message": "Invalid Form Body", "code": 50035, "errors": {"content": {"_errors": []}}}
    with pytest.raises(DeliveryError) as caught:
        classify_http(response(400, json=discord))
    assert str(caught.value) == "HTTP 400: Invalid Form Body"
