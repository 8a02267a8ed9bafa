"""The configuration `GET /api/v2/status` shows hides PagerDuty routing keys: once access control is on they
are credentials (an event sent with one is accepted), and a read-scope token may read the status."""

from __future__ import annotations

import yaml

from alerthub.config.models import Config
from alerthub.services.am_status import original_config

KEY = "R0123456789abcdef0123456789abcdef"


def test_routing_keys_are_hidden_and_their_labels_shown() -> None:
    keys = [{"key": KEY, "labels": {"service": "payments"}}]
    text = original_config(Config.model_validate({"integrations": {"pagerduty": {"routing_keys": keys}}}))
    assert KEY not in text
    shown = yaml.safe_load(text)["integrations"]["pagerduty"]["routing_keys"]
    assert shown == [{"key": "<secret>", "labels": {"service": "payments"}}]
