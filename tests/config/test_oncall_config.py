"""people[], schedules[] and escalation_policies[] in the configuration: a valid file passes check-config;
typos, duplicate names, unknown people, schedules, receivers, channels and policies, unknown time zones and
bad restrictions are errors that name their key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from alerthub.errors import ConfigError
from alerthub.hub import load_config
from support.processes import run_cli, write_config

GOOD: dict[str, Any] = {
    "people": [
        {"name": "alice", "email": "alice@example.com", "discord_user_id": "123456789012345678"},
        {"name": "bob", "slack_user_id": "U024BE7LH", "telegram_chat_id": 12345, "time_zone": "Asia/Seoul"},
    ],
    "schedules": [
        {
            "name": "primary",
            "time_zone": "Europe/Berlin",
            "rotation": {"every": "1w", "handoff": "2026-12-07T09:00:00+01:00", "people": ["alice", "bob"]},
        },
        {
            "name": "office",
            "time_zone": "Asia/Seoul",
            "rotation": {"every": "1d", "handoff": "2026-12-07T09:00:00+09:00", "people": ["bob"]},
            "restrict": [{"weekdays": ["monday:friday"], "times": [{"start_time": "09:00", "end_time": "18:00"}]}],
        },
    ],
    "channels": [
        {"name": "chat", "type": "discord", "url": "https://discord.com/api/webhooks/1/token"},
        {"name": "bosses", "type": "discord", "url": "https://discord.com/api/webhooks/2/token"},
    ],
    "escalation_policies": [
        {
            "name": "critical",
            "steps": [
                {"notify": ["schedule:primary"], "wait": "10m"},
                {"notify": ["schedule:office", "person:alice"], "via": ["chat"], "wait": "15m"},
                {"notify": ["receiver:managers"]},
            ],
            "repeat": 1,
            "ack_timeout": "2h",
        }
    ],
    "receivers": [
        {"name": "ops", "channels": ["chat"], "escalation": "critical"},
        {"name": "managers", "channels": ["bosses"]},
    ],
    "route": {"receiver": "ops", "routes": [{"matchers": ['team="db"'], "escalation": "critical"}]},
}


def problems(tmp_path: Path, data: dict[str, Any]) -> list[str]:
    path = tmp_path / "alerthub.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    return [str(p) for p in caught.value.problems]


def changed(path: list[Any], value: Any) -> dict[str, Any]:
    data: Any = yaml.safe_load(yaml.safe_dump(GOOD))
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return dict(data)


def test_people_and_two_schedules_pass_check_config(tmp_path: Path) -> None:
    result = run_cli("check-config", "--config", str(write_config(tmp_path / "ok.yaml", GOOD)))
    assert result.returncode == 0, result.stderr


def test_a_typo_names_the_key(tmp_path: Path) -> None:
    data = changed(["people", 0, "emial"], "alice@example.com")
    data["schedules"][0]["rotation"]["evry"] = "1d"
    found = problems(tmp_path, data)
    assert "people[0].emial: unknown key (check the spelling)" in found
    assert "schedules[0].rotation.evry: unknown key (check the spelling)" in found


def test_a_rotation_must_name_known_people_and_names_must_be_unique(tmp_path: Path) -> None:
    data = changed(["schedules", 0, "rotation", "people"], ["alice", "carol"])
    data["people"].append({"name": "alice"})
    data["schedules"][1]["name"] = "primary"
    found = problems(tmp_path, data)
    assert any(p.startswith("schedules[0].rotation.people[1]: no person named 'carol'") for p in found)
    assert "people: the name 'alice' is used 2 times" in found
    assert "schedules: the name 'primary' is used 2 times" in found


@pytest.mark.parametrize(
    ("path", "value", "where"),
    [
        (["schedules", 0, "time_zone"], "Europe/Berln", "schedules[0].time_zone"),
        (["people", 1, "time_zone"], "Mars/Olympus", "people[1].time_zone"),
        (["schedules", 0, "rotation", "every"], "10m", "schedules[0].rotation.every"),
        (["schedules", 0, "rotation", "every"], "a week", "schedules[0].rotation.every"),
        (["schedules", 0, "rotation", "handoff"], "2026-12-07T09:00:00", "schedules[0].rotation.handoff"),
        (["schedules", 0, "rotation", "people"], [], "schedules[0].rotation.people"),
        (["schedules", 0, "name"], "on call", "schedules[0].name"),
        (["people", 0, "discord_user_id"], "@alice", "people[0].discord_user_id"),
        (["people", 0, "email"], "alice\r\nBcc: x@example.com", "people[0].email"),
        (["people", 0, "apprise"], ["twilio://not-a-sid"], "people[0].apprise[0]"),
        (["schedules", 1, "restrict", 0, "weekdays"], ["funday"], "schedules[1].restrict[0].weekdays[0]"),
        (["schedules", 1, "restrict", 0, "location"], "Nowhere/City", "schedules[1].restrict[0].location"),
    ],
)
def test_bad_values_are_errors_at_their_key(tmp_path: Path, path: list[Any], value: Any, where: str) -> None:
    found = problems(tmp_path, changed(path, value))
    assert any(p.startswith(where + ":") for p in found), found


def test_every_name_an_escalation_policy_uses_must_exist(tmp_path: Path) -> None:
    data = changed(["escalation_policies", 0, "steps", 1, "notify"], ["schedule:ofice", "person:carol"])
    data["escalation_policies"][0]["steps"][0]["via"] = ["chatt"]
    data["escalation_policies"][0]["steps"][2]["notify"] = ["receiver:managerz"]
    data["receivers"][0]["escalation"] = "critcal"
    data["route"]["routes"][0]["escalation"] = "nope"
    data["escalation_policies"][0]["stepz"] = []
    found = problems(tmp_path, data)
    assert "escalation_policies[0].stepz: unknown key (check the spelling)" in found
    del data["escalation_policies"][0]["stepz"]
    found = problems(tmp_path, data)
    steps = "escalation_policies[0].steps"
    assert f"{steps}[1].notify[0]: no schedule named 'ofice' (schedules: office, primary)" in found
    assert f"{steps}[1].notify[1]: no person named 'carol' (persons: alice, bob)" in found
    assert f"{steps}[0].via[0]: no channel named 'chatt'" in found
    assert f"{steps}[2].notify[0]: no receiver named 'managerz' (receivers: managers, ops)" in found
    known = "(escalation_policies: critical)"
    assert f"receivers[0].escalation: no escalation policy named 'critcal' {known}" in found
    assert f"route.routes[0].escalation: no escalation policy named 'nope' {known}" in found


@pytest.mark.parametrize(
    ("path", "value", "where"),
    [
        (["escalation_policies", 0, "steps"], [], "escalation_policies[0].steps"),
        (["escalation_policies", 0, "steps", 0, "notify"], [], "escalation_policies[0].steps[0].notify"),
        (["escalation_policies", 0, "steps", 0, "notify"], ["team:db"], "escalation_policies[0].steps[0].notify[0]"),
        (["escalation_policies", 0, "steps", 0, "wait"], "0s", "escalation_policies[0].steps[0].wait"),
        (["escalation_policies", 0, "repeat"], -1, "escalation_policies[0].repeat"),
        (["escalation_policies", 0, "ack_timeout"], "soon", "escalation_policies[0].ack_timeout"),
    ],
)
def test_bad_escalation_values_are_errors_at_their_key(tmp_path: Path, path: list[Any], value: Any, where: str) -> None:
    found = problems(tmp_path, changed(path, value))
    assert any(p.startswith(where + ":") for p in found), found
