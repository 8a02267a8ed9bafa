from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alerthub.channels.registry import ChannelConfig
from alerthub.config.models import Config
from alerthub.delivery.action_links import ActionLinker
from alerthub.delivery.compose import Renderer, render
from alerthub.domain.action_token import ActionTokenCodec
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


@pytest.mark.parametrize("key", ["title", "body", "html"])
def test_every_override_is_sandboxed_though_our_own_templates_are_not(key: str) -> None:
    """Our templates run outside the sandbox (they are ours); an override from the config never does."""
    reach = "{{ ''.__class__.__mro__[1].__subclasses__() }}"
    own = render(payload(), channel())
    message = render(payload(), channel(templates={key: reach}))
    assert "<class" not in f"{message.title}{message.body}{message.html}"
    assert (message.title, message.body, message.html) == (own.title, own.body, own.html)


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


def hetrixtools_summaries() -> tuple[str, str]:
    """What the HetrixTools webhook source writes for an outage and its end, 12 minutes later."""
    from datetime import timedelta

    from alerthub.sources.hetrixtools import parse_webhook, recovered
    from support.fake_apis import load_fixture

    [down] = parse_webhook(load_fixture("hetrixtools", "webhook_offline.json"))
    [up, _] = parse_webhook(load_fixture("hetrixtools", "webhook_online.json"))
    assert up.observed_at is not None
    back = recovered(up, up.observed_at - timedelta(minutes=12), up.observed_at)
    return down.annotations["summary"], back.annotations["summary"]


def test_source_summaries_are_korean_on_a_korean_channel() -> None:
    down, back = hetrixtools_summaries()
    assert " is down" in down and back.endswith("is back up after 12m")
    ko = channel(language="ko")
    firing = render(payload(alert(annotations={"summary": down})), ko)
    assert "is down" not in firing.title and "다운" in firing.title
    resolved = render(payload(alert(state="resolved", annotations={"summary": back}), status="resolved"), ko)
    assert "back up" not in resolved.title and "복구됨 (12분 동안 다운)" in resolved.title
    assert "back up" not in resolved.body and "is down" not in firing.body
    # English channels, the API and the dashboard keep the sentence the source wrote.
    assert back in render(payload(alert(annotations={"summary": back})), channel()).title


def test_a_senders_own_summary_is_never_rewritten() -> None:
    text = "결제 API 서비스 다운 감지 (is down since 09:00)"
    message = render(payload(alert(annotations={"summary": text})), channel(language="ko"))
    assert text in message.title


def since_line(message_body: str) -> str:
    return next(line.strip() for line in message_body.splitlines() if line.strip().startswith(("Since", "시작")))


def test_times_are_in_the_channels_time_zone() -> None:
    # The alert began at 08:55 UTC.
    seoul = render(payload(), channel(language="ko", time_zone="Asia/Seoul"))
    assert since_line(seoul.body) == "시작: 2026-11-27 17:55 KST"
    resolved = alert(state="resolved", resolved_at="2026-11-27T09:30:00Z")
    paris = render(payload(resolved, status="resolved"), channel(time_zone="Europe/Paris"))
    assert "Resolved at: 2026-11-27 10:30 CET" in paris.body


def test_a_channel_without_a_zone_takes_the_servers() -> None:
    config = Config.model_validate(
        {
            "server": {"time_zone": "America/New_York"},
            "channels": [
                {"name": "a", "type": "email", "smtp_host": "h", "to": ["a@b.c"]},
                {"name": "b", "type": "email", "smtp_host": "h", "to": ["a@b.c"], "time_zone": "Asia/Seoul"},
            ],
        }
    )
    own, seoul = (render(payload(), c) for c in config.channels)
    assert since_line(own.body) == "Since: 2026-11-27 03:55 EST"
    assert since_line(seoul.body) == "Since: 2026-11-27 17:55 KST"


def test_with_no_zone_configured_times_are_in_the_machines_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Asia/Seoul")
    assert since_line(render(payload(), channel()).body) == "Since: 2026-11-27 17:55 KST"


def test_a_growing_groups_unchanged_alerts_read_the_same_and_a_changed_one_reads_anew() -> None:
    renderer = Renderer(channel())
    first, second = alert(), alert(id=2, labels={"monitor_name": "api.example"})
    before = renderer.render(payload(first))
    again = renderer.render(payload(first, second))
    assert again.alerts[0] == before.alerts[0]
    assert again.alerts[1].where == "api.example"
    resolved = alert(state="resolved", resolved_at="2026-11-27T09:30:00Z")  # a new snapshot of alert 1
    after = renderer.render(payload(resolved, second, status="firing"))
    assert after.alerts[0].headline.startswith("[Resolved]")
    assert ("Resolved at", "2026-11-27 09:30 UTC") in after.alerts[0].facts
    assert renderer.render(payload(first)).alerts[0] == before.alerts[0], "the old snapshot still reads as it did"


def test_each_message_signs_its_own_action_links_for_the_same_alert() -> None:
    now = [datetime(2026, 11, 27, 9, 0, tzinfo=UTC)]
    codec = ActionTokenCodec("s" * 40)
    renderer = Renderer(channel())
    linker = ActionLinker(codec, timedelta(hours=1), lambda: now[0])
    first = alert()
    early = renderer.render(payload(first), linker=linker)
    now[0] += timedelta(minutes=30)
    late = renderer.render(payload(first), linker=linker)
    unlinked = renderer.render(payload(first))
    assert early.alerts[0].actions and late.alerts[0].actions and not unlinked.alerts[0].actions
    expiry = [codec.decode(m.alerts[0].actions[0].token, now[0].timestamp()).expires for m in (early, late)]
    assert expiry[1] - expiry[0] == 30 * 60
    assert (early.alerts[0].headline, early.alerts[0].facts) == (late.alerts[0].headline, late.alerts[0].facts)
