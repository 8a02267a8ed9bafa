"""`alerthub silences add|list|expire`, run as a user runs it, against a real database file."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.processes import run_cli, with_database, write_config


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return with_database(
        write_config(tmp_path / "alerthub.yaml", {"storage": {"url": f"sqlite:///{tmp_path / 'hub.db'}"}})
    )


def test_add_list_expire(config: Path) -> None:
    added = run_cli(
        "silences",
        "add",
        "service=api",
        'severity=~"high|critical"',
        "-d",
        "2h",
        "-m",
        "deploy",
        "--by",
        "kim",
        "--config",
        str(config),
    )
    assert added.returncode == 0, added.stderr
    silence_id = added.stdout.strip()
    listed = run_cli("silences", "list", "--state", "active", "--config", str(config))
    assert silence_id in listed.stdout
    assert '{service="api",severity=~"high|critical"}  kim: deploy' in listed.stdout
    assert run_cli("silences", "expire", silence_id, "--config", str(config)).returncode == 0
    assert run_cli("silences", "list", "--state", "active", "--config", str(config)).stdout == ""
    again = run_cli("silences", "expire", silence_id, "--config", str(config))
    assert again.returncode == 1 and "already expired" in again.stderr


def test_refusals_say_why(config: Path) -> None:
    everything = run_cli("silences", "add", 'x=~".*"', "-m", "all", "--config", str(config))
    assert everything.returncode == 1 and "must not match the empty string" in everything.stderr
    no_comment = run_cli("silences", "add", "service=api", "--config", str(config))
    assert no_comment.returncode == 1 and "comment: must not be empty" in no_comment.stderr
    bad = run_cli("silences", "add", "service", "-m", "x", "--config", str(config))
    assert bad.returncode == 2 and "expected name=value" in bad.stderr


@pytest.mark.parametrize("duration", ["500000w", "9999999999999999999999d"])
def test_a_duration_past_year_9999_is_refused_not_a_traceback(config: Path, duration: str) -> None:
    added = run_cli("silences", "add", "service=api", "-d", duration, "-m", "forever", "--config", str(config))
    assert added.returncode == 2, added.stderr
    assert f"--duration {duration} is too long" in added.stderr and "Traceback" not in added.stderr
    assert run_cli("silences", "list", "--config", str(config)).stdout == ""


def test_a_regex_re2_cannot_run_is_refused_with_the_reason(config: Path) -> None:
    added = run_cli("silences", "add", r'host=~"(a)\\1"', "-m", "backreference", "--config", str(config))
    assert added.returncode == 2
    assert "not a valid regular expression (RE2 syntax): invalid escape sequence" in added.stderr
