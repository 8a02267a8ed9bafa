"""Debian's `amtool` (package prometheus-alertmanager) against a real `alerthub serve`, with access control
on and the token in amtool's `--http.config.file`, as the README's "Coming from Alertmanager" says.
Without /usr/bin/amtool these skip, except in CI (CI=true), where they must run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from support.alertmanager_spec import assert_valid
from support.server import RunningHub, running_hub

pytestmark = pytest.mark.e2e

HOOK_URL = "http://127.0.0.1:9/hooks/very-secret-path"
CONFIG: dict[str, Any] = {
    "channels": [{"name": "hook", "type": "webhook", "url": HOOK_URL}],
    "receivers": [{"name": "ops", "channels": ["hook"]}],
    "route": {"receiver": "ops", "group_by": ["alertname"]},
}


def _amtool() -> str:
    found = shutil.which("amtool")
    if found is None:
        reason = "needs amtool (apt-get install prometheus-alertmanager)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + "; in CI the amtool tests must run")
        pytest.skip(reason)
    return found


class Amtool:
    def __init__(self, binary: str, hub: RunningHub, http_config: Path) -> None:
        self.base = [binary, f"--alertmanager.url={hub.url}", f"--http.config.file={http_config}"]

    def __call__(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([*self.base, *args], capture_output=True, text=True, timeout=60, check=False)
        if ok:
            assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "-o", "json").stdout)

    def ids(self, *args: str) -> list[str]:
        return self("silence", "query", "-q", *args).stdout.split()


def http_config(path: Path, token: str) -> Path:
    """What amtool's --http.config.file holds (Prometheus' http_config): the token as a bearer credential."""
    path.write_text(yaml.safe_dump({"authorization": {"type": "Bearer", "credentials": token}}), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHub]:
    _amtool()
    workdir = tmp_path_factory.mktemp("amtool")
    with running_hub(workdir, CONFIG, tokens={"amtool-admin": "admin", "amtool-read": "read"}) as running:
        yield running


@pytest.fixture(scope="module")
def amtool(hub: RunningHub, tmp_path_factory: pytest.TempPathFactory) -> Amtool:
    path = http_config(tmp_path_factory.mktemp("amtool-admin") / "http.yml", hub.tokens["amtool-admin"])
    return Amtool(_amtool(), hub, path)


@pytest.fixture(scope="module")
def reader(hub: RunningHub, tmp_path_factory: pytest.TempPathFactory) -> Amtool:
    path = http_config(tmp_path_factory.mktemp("amtool-read") / "http.yml", hub.tokens["amtool-read"])
    return Amtool(_amtool(), hub, path)


def test_alerts_added_and_queried_with_matchers(amtool: Amtool, reader: Amtool) -> None:
    amtool("alert", "add", "alertname=DiskFull", "service=db", "severity=warning", "--annotation=summary=92% full")
    amtool("alert", "add", "CpuHigh", "service=web", "--generator-url=http://prometheus:9090/graph")
    every = {a["labels"]["alertname"]: a for a in reader.json("alert", "query")}
    assert {"DiskFull", "CpuHigh"} <= set(every)
    assert every["DiskFull"]["annotations"] == {"summary": "92% full"}
    assert every["CpuHigh"]["generatorURL"] == "http://prometheus:9090/graph"
    assert every["DiskFull"]["receivers"] == [{"name": "ops"}]
    [disk] = reader.json("alert", "query", "alertname=DiskFull")
    assert disk["labels"]["service"] == "db" and disk["status"]["state"] == "active"
    assert [a["labels"]["alertname"] for a in reader.json("alert", "query", 'service=~"w.*"')] == ["CpuHigh"]
    assert reader.json("alert", "query", "--receiver=nobody") == []
    table = reader("alert", "query").stdout
    assert "DiskFull" in table and "92% full" in table


def test_silences_add_query_and_expire_only_the_matching_ones(amtool: Amtool, reader: Amtool, hub: RunningHub) -> None:
    amtool("alert", "add", "alertname=Flappy", "service=api")
    amtool("alert", "add", "alertname=Steady", "service=api")
    flappy = amtool("silence", "add", "alertname=Flappy", "--comment=deploy", "--duration=1h").stdout.strip()
    second = amtool("silence", "add", "alertname=Flappy", "service=api", "--comment=again").stdout.strip()
    steady = amtool("silence", "add", "alertname=Steady", "--comment=other").stdout.strip()
    assert set(reader.ids("alertname=Flappy")) == {flappy, second}
    assert reader.ids("alertname=Steady") == [steady]
    # amtool's default alert query shows neither silenced alerts nor inhibited ones.
    assert "Flappy" not in [a["labels"]["alertname"] for a in reader.json("alert", "query")]
    [silenced] = reader.json("alert", "query", "--silenced", "alertname=Flappy")
    assert silenced["status"]["state"] == "suppressed"
    assert set(silenced["status"]["silencedBy"]) == {flappy, second}

    amtool("silence", "expire", *reader.ids("alertname=Flappy"))
    assert reader.ids("alertname=Flappy") == []
    assert reader.ids("alertname=Steady") == [steady]
    assert set(reader.ids("--expired", "alertname=Flappy")) == {flappy, second}
    states = {s["id"]: s["status"]["state"] for s in httpx.get(f"{hub.url}/api/v2/silences", headers=hub.bearer).json()}
    assert (states[flappy], states[second], states[steady]) == ("expired", "expired", "active")
    assert [a["labels"]["alertname"] for a in reader.json("alert", "query", "alertname=Flappy")] == ["Flappy"]


def test_a_read_token_reads_but_cannot_silence(reader: Amtool) -> None:
    refused = reader("silence", "add", "alertname=Anything", "--comment=no", ok=False)
    assert refused.returncode != 0
    assert "403" in refused.stderr or "Forbidden" in refused.stderr, refused.stderr


def test_config_and_cluster_show(reader: Amtool) -> None:
    shown = reader("config", "show").stdout
    assert HOOK_URL not in shown and "very-secret-path" not in shown
    config = yaml.safe_load(shown)
    assert config["channels"][0]["url"] == "<secret>"
    assert config["route"]["receiver"] == "ops"
    cluster = reader("cluster", "show").stdout
    assert "Cluster Status:  ready" in cluster and "Node Name:" in cluster


def test_answers_fit_alertmanagers_spec(hub: RunningHub, amtool: Amtool) -> None:
    amtool("alert", "add", "alertname=SpecCheck")
    for path in ("/alerts", "/alerts/groups", "/status", "/receivers", "/silences"):
        answer = httpx.get(f"{hub.url}/api/v2{path}", headers=hub.bearer, timeout=10)
        assert answer.status_code == 200, (path, answer.text)
        assert_valid(answer.json(), path)


def test_health_paths_stay_open(hub: RunningHub) -> None:
    for path in ("/-/healthy", "/-/ready"):
        answer = httpx.get(hub.url + path, timeout=10)
        assert (answer.status_code, answer.text) == (200, "OK")
    assert httpx.get(hub.url + "/api/v2/alerts", timeout=10).status_code == 401
