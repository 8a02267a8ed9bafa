"""The routing tree: first match wins, `continue`, inheritance, receivers resolved to channels, group keys."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from alerthub.config.models import Config
from alerthub.pipeline.routing import build_routes

CONFIG: dict[str, Any] = {
    "channels": [
        {"name": "discord", "type": "discord", "url": "http://127.0.0.1:9/a"},
        {"name": "mail", "type": "email", "smtp_host": "127.0.0.1", "to": ["a@example.com"]},
        {"name": "pager", "type": "webhook", "url": "http://127.0.0.1:9/b"},
    ],
    "receivers": [{"name": "team", "channels": ["discord", "mail"]}, {"name": "oncall", "channels": ["pager"]}],
    "route": {
        "receiver": "team",
        "group_by": ["alertname"],
        "group_wait": "10s",
        "routes": [
            {"matchers": ['severity="critical"'], "receiver": "oncall", "continue": True, "group_by": ["..."]},
            {"match": {"service": "db"}, "repeat_interval": "1h", "routes": [{"match_re": {"env": "prod|stage"}}]},
            {"match_re": {"service": "api|web"}, "receiver": "mail", "group_interval": "1m"},
            {"match": {"service": "api"}, "receiver": "discord"},  # never reached: the one above wins
        ],
    },
}


@pytest.fixture(scope="module")
def root() -> Any:
    return build_routes(Config.model_validate(CONFIG))


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        # (labels, [(receiver, channels)] in match order)
        ({"service": "other"}, [("team", ("discord", "mail"))]),
        ({"service": "api"}, [("mail", ("mail",))]),
        ({"service": "api", "severity": "critical"}, [("oncall", ("pager",)), ("mail", ("mail",))]),
        ({"service": "db", "env": "prod"}, [("team", ("discord", "mail"))]),
        ({"service": "db", "env": "dev"}, [("team", ("discord", "mail"))]),
    ],
)
def test_match(root: Any, labels: dict[str, str], expected: list[tuple[str, tuple[str, ...]]]) -> None:
    assert [(r.receiver, r.channels) for r in root.match(labels)] == expected


def test_children_inherit_what_they_do_not_set(root: Any) -> None:
    [db_prod] = root.match({"service": "db", "env": "prod"})
    assert db_prod.path == '{}/{service="db"}/1/{env=~"prod|stage"}/0'
    assert (db_prod.group_by, db_prod.group_wait) == (("alertname",), timedelta(seconds=10))
    assert db_prod.repeat_interval == timedelta(hours=1), "from its parent"
    assert db_prod.group_interval == timedelta(minutes=5), "the default, through two levels"
    [web] = root.match({"service": "web"})
    assert web.group_interval == timedelta(minutes=1)


def test_group_keys(root: Any) -> None:
    labels = {"alertname": "api_down", "service": "api", "severity": "critical"}
    critical, mail = root.match(labels)
    assert critical.group_key(critical.group_labels(labels)) == (
        '{}/{severity="critical"}/0:{alertname="api_down",service="api",severity="critical"}'
    )
    assert mail.group_key(mail.group_labels(labels)) == '{}/{service=~"api|web"}/2:{alertname="api_down"}'
    assert root.group_labels({"service": "x"}) == {}, "a label the alert lacks is left out"


def test_long_group_keys_fit_the_column(root: Any) -> None:
    [critical, _] = root.match({"severity": "critical", "service": "api"})
    labels = {f"label{i}": "v" * 50 for i in range(30)} | {"severity": "critical"}
    key = critical.group_key(critical.group_labels(labels))
    assert len(key) <= 480
    other = critical.group_key(critical.group_labels({**labels, "label0": "w" * 50}))
    assert key != other


def test_no_route_no_channels() -> None:
    root = build_routes(Config())
    assert root.match({"a": "b"})[0].channels == ()


def test_a_receiver_may_be_a_channel_name() -> None:
    cfg = Config.model_validate({**CONFIG, "route": {"receiver": "pager"}})
    assert build_routes(cfg).channels == ("pager",)


def test_root_without_receiver_means_every_channel() -> None:
    cfg = Config.model_validate({**CONFIG, "route": {}})
    assert build_routes(cfg).channels == ("discord", "mail", "pager")


def test_a_deep_tree_of_long_matchers_keeps_paths_short() -> None:
    leaf: dict[str, Any] = {"match_re": {"x": "a" * 150}}
    for _ in range(4):
        leaf = {"match_re": {"x": "a" * 150}, "routes": [leaf]}
    root = build_routes(Config.model_validate({"route": {"routes": [leaf]}}))
    [deepest] = root.match({"x": "a" * 150})
    assert deepest.path.startswith("#") and len(deepest.path) <= 400
    assert len({r.path for r in root.walk()}) == 6
