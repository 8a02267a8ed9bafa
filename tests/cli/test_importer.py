"""`alerthub import alertmanager FILE [-o OUT]` as a person runs it: the configuration on stdout or in
OUT, what was not carried on stderr naming receiver and integration, and a result check-config accepts."""

from __future__ import annotations

from pathlib import Path

import yaml

from alerthub.hub import load_config
from alerthub.services.am_import import convert, parse
from support.processes import run_cli

SIMPLE = Path(__file__).parent.parent / "fixtures" / "alertmanager" / "simple.yml"


def test_simple_yml_to_stdout_with_what_was_not_carried_on_stderr() -> None:
    result = run_cli("import", "alertmanager", str(SIMPLE))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# Imported from simple.yml")
    assert yaml.safe_load(result.stdout) == convert(parse(SIMPLE.read_text(encoding="utf-8"))).config
    lines = result.stderr.splitlines()
    assert "templates: Go templates are not carried (alerthub renders its own messages)" in lines
    assert "tracing: not carried" in lines
    for receiver in ("team-X-pager", "team-Y-pager", "team-DB-pager"):
        assert any(line.startswith(f"receiver {receiver!r} pagerduty_configs[0]: `service_key`") for line in lines)


def test_output_file_passes_check_config(tmp_path: Path) -> None:
    out = tmp_path / "alerthub.yaml"
    result = run_cli("import", "alertmanager", str(SIMPLE), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    checked = run_cli("check-config", "--config", str(out))
    assert checked.returncode == 0, checked.stderr
    config = load_config(out, env={})
    assert [r.name for r in config.receivers] == [
        "team-X-mails",
        "team-X-pager",
        "team-Y-mails",
        "team-Y-pager",
        "team-DB-pager",
    ]
    assert config.route.routes[2].routes[0].continue_ is True


def test_a_result_check_config_refuses_is_written_and_exits_1(tmp_path: Path) -> None:
    source = tmp_path / "alertmanager.yml"
    source.write_text(
        yaml.safe_dump(
            {
                "route": {"receiver": "ops", "routes": [{"matchers": ['a=~"("'], "receiver": "ops"}]},
                "receivers": [{"name": "ops", "webhook_configs": [{"url": "http://127.0.0.1:9/"}]}],
            }
        ),
        encoding="utf-8",
    )
    out = tmp_path / "alerthub.yaml"
    result = run_cli("import", "alertmanager", str(source), "-o", str(out))
    assert result.returncode == 1
    assert "does not pass check-config" in result.stderr and "route.routes[0].matchers[0]" in result.stderr
    assert yaml.safe_load(out.read_text(encoding="utf-8"))["receivers"] == [
        {"name": "ops", "channels": ["ops-webhook-0"]}
    ]


def test_unreadable_or_not_alertmanager(tmp_path: Path) -> None:
    missing = run_cli("import", "alertmanager", str(tmp_path / "nope.yml"))
    assert missing.returncode == 1 and "cannot read" in missing.stderr
    bad = tmp_path / "bad.yml"
    bad.write_text("route: [", encoding="utf-8")
    broken = run_cli("import", "alertmanager", str(bad))
    assert broken.returncode == 1 and "not valid YAML" in broken.stderr
