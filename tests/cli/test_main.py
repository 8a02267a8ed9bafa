from pathlib import Path

import httpx
import pytest

from support.processes import ServerProcess, run_cli, running, write_config


def test_check_config_accepts_a_valid_file(tmp_path: Path) -> None:
    config = write_config(tmp_path / "ok.yaml", {"rules": [{"name": "queue", "thresholds": {"high": 5}}]})
    result = run_cli("check-config", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "configuration is valid" in result.stdout


def test_check_config_prints_every_error_with_location_and_exits_1(tmp_path: Path) -> None:
    bad = {
        "rules": [{"name": "a"}, {"name": "b"}, {"name": "c", "thresholds": {"critical": "lots"}}],
        "server": {"port": -1},
    }
    config = write_config(tmp_path / "bad.yaml", bad)
    result = run_cli("check-config", "--config", str(config))
    assert result.returncode == 1
    assert "rules[2].thresholds.critical:" in result.stderr
    assert "server.port:" in result.stderr


def test_check_config_locates_regexes_re2_cannot_run(tmp_path: Path) -> None:
    bad = {
        "route": {"routes": [{"match_re": {"host": r"(a)\1"}}, {"matchers": ['host=~"(?=x)"']}]},
        "inhibit_rules": [{"source_match_re": {"service": "(?<!a)b"}, "target_match": {"severity": "warning"}}],
    }
    result = run_cli("check-config", "--config", str(write_config(tmp_path / "re2.yaml", bad)))
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert (
        r"  route.routes[0].match_re.host: not a valid regular expression (RE2 syntax): invalid escape sequence: \1"
        in lines
    )
    assert (
        "  route.routes[1].matchers[0]: host=~'(?=x)': not a valid regular expression (RE2 syntax): "
        "invalid perl operator: (?=" in lines
    )
    assert any(line.startswith("  inhibit_rules[0].source_match_re.service: not a valid regular") for line in lines)
    assert "Traceback" not in result.stderr


def test_alerthub_config_variable_is_read(tmp_path: Path) -> None:
    config = write_config(tmp_path / "env.yaml", {"server": {"port": "not a port"}})
    result = run_cli("check-config", env={"ALERTHUB_CONFIG": str(config)})
    assert result.returncode == 1 and "server.port:" in result.stderr


def test_db_upgrade_reports_the_revision(tmp_path: Path) -> None:
    config = write_config(tmp_path / "db.yaml", {"storage": {"url": f"sqlite:///{tmp_path / 'x.db'}"}})
    result = run_cli("db", "upgrade", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "database at revision" in result.stdout and (tmp_path / "x.db").exists()


@pytest.mark.e2e
def test_send_posts_to_a_running_hub(tmp_path: Path) -> None:
    config = write_config(tmp_path / "hub.yaml", {"storage": {"url": f"sqlite:///{tmp_path / 'hub.db'}"}})
    with running(ServerProcess(config, tmp_path)) as server:
        result = run_cli("send", "system_cpu_high", "97.5", "--label", "host=web-1", "--url", server.url)
        assert result.returncode == 0, result.stderr
        assert '"state":"pending"' in result.stdout
        [alert] = httpx.get(f"{server.url}/api/alerts").json()["alerts"]
        assert alert["labels"] == {"host": "web-1"} and alert["value"] == 97.5
        unknown = run_cli("send", "no_such_rule", "1", "--url", server.url)
        assert unknown.returncode == 1 and "known rules" in unknown.stdout


def test_send_reports_an_unreachable_hub() -> None:
    result = run_cli("send", "system_cpu_high", "1", "--url", "http://127.0.0.1:1")
    assert result.returncode == 1 and "cannot reach" in result.stderr


def test_version_prints_the_package_version() -> None:
    from alerthub import __version__

    result = run_cli("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"alerthub {__version__}"
