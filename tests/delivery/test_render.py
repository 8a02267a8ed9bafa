from __future__ import annotations

import pytest

from alerthub.config.models import ChannelConfig, Config
from alerthub.delivery.render import Renderer, render
from alerthub.domain.notification import AlertSnapshot, NotificationPayload
from alerthub.errors import ConfigError


def channel(kind: str = "email", **extra: object) -> ChannelConfig:
    base: dict[str, object] = {
        "discord": {"url": "https://d/x"},
        "slack": {"url": "https://s/x"},
        "email": {"smtp_host": "h", "to": ["a@b.c"]},
        "telegram": {"bot_token": "1:x", "chat_id": "1"},
    }[kind]
    cfg = Config.model_validate({"channels": [{"name": "c", "type": kind, **base, **extra}]})
    return cfg.channels[0]


def alert(**changes: object) -> AlertSnapshot:
    fields: dict[str, object] = dict(
        id=1,
        fingerprint="f",
        rule_name="hetrixtools_downtime",
        state="firing",
        severity="high",
        value=0.0,
        labels={"monitor_name": "shop.example"},
        annotations={"summary": "shop.example is down"},
        source="hetrixtools",
        first_seen="2026-11-27T08:55:00Z",
        last_seen="2026-11-27T09:00:00Z",
        count=4,
        threshold=1.0,
        comparison="<",
        url="http://hub.test/alerts/1",
    )
    fields.update(changes)
    return AlertSnapshot(**fields)  # type: ignore[arg-type]


def payload(*alerts: AlertSnapshot, status: str = "firing", reason: str = "first notification") -> NotificationPayload:
    return NotificationPayload("ops", "g", status, reason, {}, {}, {}, alerts or (alert(),), "http://hub.test")


def test_the_first_lines_say_severity_what_where_value_since_how_often_links() -> None:
    message = render(payload(), channel())
    assert message.title == "[HIGH] shop.example is down — shop.example"
    lines = message.body.splitlines()
    assert lines[0] == message.title
    assert lines[1:5] == ["  Value: 0", "  Threshold: < 1", "  Since: 2026-11-27 08:55 UTC", "  Occurrences: 4"]
    assert "  Open in alerthub: http://hub.test/alerts/1" in lines


def test_korean_resolved() -> None:
    message = render(
        payload(alert(state="resolved"), status="resolved", reason="all alerts resolved"), channel(language="ko")
    )
    assert message.title.startswith("[복구됨]") and "값: 0" in message.body


def test_english_resolved() -> None:
    message = render(payload(alert(state="resolved"), status="resolved"), channel())
    assert message.title.startswith("[Resolved]")


def test_override_templates_per_channel() -> None:
    cfg = channel(templates={"title": "{{ severity|upper }} {{ alerts|length }} alert(s)", "body": "{{ t.value }}"})
    message = render(payload(), cfg)
    assert (message.title, message.body) == ("HIGH 1 alert(s)", "Value")


def test_the_sandbox_refuses_python_internals_and_falls_back_to_the_default() -> None:
    cfg = channel(templates={"title": "{{ ''.__class__.__mro__[1].__subclasses__() }}"})
    message = render(payload(), cfg)
    assert message.title == "[HIGH] shop.example is down — shop.example"


def test_a_broken_override_is_a_config_error_with_its_location() -> None:
    with pytest.raises(ConfigError) as caught:
        Renderer(channel(templates={"body": "{% if %}", "nope": "x"}))
    text = str(caught.value)
    assert "channels.c.templates.body" in text and "channels.c.templates.nope" in text


def test_javascript_links_from_outside_are_not_links() -> None:
    message = render(payload(alert(annotations={"summary": "x", "url": "javascript:alert(1)"})), channel())
    assert "javascript:" not in (message.html or "")


def test_a_long_group_lists_twenty_and_counts_the_rest() -> None:
    many = payload(*[alert(id=i, labels={"monitor_name": f"m{i}"}) for i in range(25)])
    message = render(many, channel())
    assert message.title == "[HIGH] 25 alerts"
    assert message.body.count("[HIGH] shop.example is down") == 20 and "…and 5 more" in message.body


def test_slack_output_escapes_control_characters() -> None:
    message = render(payload(alert(annotations={"summary": "a", "description": "<!here> & co"})), channel("slack"))
    assert "&lt;!here&gt; &amp; co" in message.body
