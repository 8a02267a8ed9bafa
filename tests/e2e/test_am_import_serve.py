"""An imported Alertmanager configuration runs: `alerthub serve` with the output of
`alerthub import alertmanager`, and an alert routed by it reaches the channel the original receiver named
(a webhook stand-in with the receiver's bearer token; Alertmanager's example mail receiver on an SMTP
stand-in)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from support.processes import ServerProcess, run_cli, running
from support.standins import Receiver, SMTPStandIn, make_certificate

pytestmark = pytest.mark.e2e

SIMPLE = Path(__file__).parent.parent / "fixtures" / "alertmanager" / "simple.yml"


@pytest.fixture
def hooks() -> Iterator[tuple[Receiver, Receiver]]:
    db, default = Receiver(), Receiver()
    yield db, default
    db.close()
    default.close()


def imported(tmp_path: Path, source: dict[str, Any]) -> Path:
    am = tmp_path / "alertmanager.yml"
    am.write_text(yaml.safe_dump(source), encoding="utf-8")
    out = tmp_path / "alerthub.yaml"
    result = run_cli("import", "alertmanager", str(am), "-o", str(out))
    assert result.returncode == 0, result.stderr
    return out


def serve(config: Path, tmp_path: Path) -> ServerProcess:
    return ServerProcess(config, tmp_path, env={"ALERTHUB_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}"})


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout}s: {what}")


def test_an_alert_reaches_the_webhook_its_receiver_named(tmp_path: Path, hooks: tuple[Receiver, Receiver]) -> None:
    db, default = hooks
    source = {
        "route": {
            "receiver": "default-team",
            "group_by": ["alertname"],
            "group_wait": "0s",
            "routes": [{"matchers": ['service="db"'], "receiver": "db-team"}],
        },
        "receivers": [
            {"name": "default-team", "webhook_configs": [{"url": default.base_url + "/default"}]},
            {
                "name": "db-team",
                "webhook_configs": [
                    {"url": db.base_url + "/db", "http_config": {"authorization": {"credentials": "s3cret"}}}
                ],
            },
        ],
    }
    with running(serve(imported(tmp_path, source), tmp_path)) as hub:
        alerts = [{"labels": {"alertname": "DiskFull", "service": "db"}}, {"labels": {"alertname": "CpuHigh"}}]
        assert httpx.post(hub.url + "/api/v2/alerts", json=alerts, timeout=10).status_code == 200
        wait_for(lambda: bool(db.requests) and bool(default.requests), "both webhooks called")
    [to_db] = db.requests
    assert to_db.path == "/db" and to_db.headers["Authorization"] == "Bearer s3cret"
    body = to_db.json()
    assert body["receiver"] == "db-team" and [a["labels"]["alertname"] for a in body["alerts"]] == ["DiskFull"]
    assert [a["labels"]["alertname"] for r in default.requests for a in r.json()["alerts"]] == ["CpuHigh"]


def test_alertmanagers_example_mails_the_team_its_route_names(tmp_path: Path) -> None:
    smtp = SMTPStandIn(make_certificate(tmp_path), tls="starttls")
    try:
        source = yaml.safe_load(SIMPLE.read_text(encoding="utf-8"))
        source["global"].update(
            smtp_smarthost=f"127.0.0.1:{smtp.port}",
            smtp_auth_username=SMTPStandIn.USER,
            smtp_auth_password=SMTPStandIn.PASSWORD,
        )
        source["route"]["group_wait"] = "0s"  # the example waits 30 s before a group's first message
        for receiver in source["receivers"]:
            for email in receiver.get("email_configs", []):
                email["tls_config"] = {"insecure_skip_verify": True}  # the stand-in's certificate is self-signed
        with running(serve(imported(tmp_path, source), tmp_path)) as hub:
            alert = {"labels": {"alertname": "FilesSlow", "service": "files", "severity": "warning"}}
            assert httpx.post(hub.url + "/api/v2/alerts", json=[alert], timeout=10).status_code == 200
            wait_for(lambda: bool(smtp.mails), "a mail")
        [mail] = smtp.mails
        assert mail.rcpt_tos == ["team-Y+alerts@example.org"] and mail.authenticated
        assert mail.mail_from == "alertmanager@example.org"
        assert "FilesSlow" in mail.message["Subject"]
    finally:
        smtp.close()


def test_a_pagerduty_routing_key_triggers_and_resolves_one_pagerduty_alert(tmp_path: Path) -> None:
    pagerduty = Receiver(202)  # PagerDuty's "accepted"
    try:
        route = {"receiver": "pager", "group_by": ["alertname"], "group_wait": "0s", "group_interval": "1s"}
        config = [{"routing_key": "R0ut1ngKzk3vT9qL2mWx8RbN4pYcQa7s", "url": pagerduty.base_url + "/v2/enqueue"}]
        source = {"route": route, "receivers": [{"name": "pager", "pagerduty_configs": config}]}
        with running(serve(imported(tmp_path, source), tmp_path)) as hub:
            alert: dict[str, Any] = {"labels": {"alertname": "DiskFull", "service": "db"}}
            assert httpx.post(hub.url + "/api/v2/alerts", json=[alert], timeout=10).status_code == 200
            wait_for(lambda: bool(pagerduty.requests), "a trigger")
            alert["endsAt"] = "2020-01-01T00:00:00Z"
            assert httpx.post(hub.url + "/api/v2/alerts", json=[alert], timeout=10).status_code == 200
            wait_for(lambda: len(pagerduty.requests) >= 2, "a resolve")
        trigger, resolve = (r.json() for r in pagerduty.requests[:2])
        assert pagerduty.requests[0].path == "/v2/enqueue"
        assert (trigger["event_action"], resolve["event_action"]) == ("trigger", "resolve")
        assert trigger["routing_key"] == config[0]["routing_key"] and trigger["dedup_key"] == resolve["dedup_key"]
        assert trigger["payload"]["source"] == "db"
    finally:
        pagerduty.close()
