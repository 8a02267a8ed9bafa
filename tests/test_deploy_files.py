"""The Dockerfile, docker-compose.yml and systemd unit, checked the ways that exist without a Docker
engine: they parse, their commands are valid for the real CLI and equal to what the tests run, and the
health check command works against a real server."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from alerthub.cli.main import app
from support.processes import SERVE_COMMAND, ServerProcess, running, write_config

ROOT = Path(__file__).resolve().parent.parent
SEED_VARIABLES = {
    "SMTP_SERVER", "SMTP_PORT", "SMTP_USERNAME", "SMTP_PASSWORD", "ALERT_EMAIL_TO", "DISCORD_WEBHOOK_URL",
    "SENTRY_TOKEN", "SENTRY_ORG", "HETRIXTOOLS_API_KEY", "GA4_PROPERTY_ID", "GOOGLE_APPLICATION_CREDENTIALS",
    "ALERTHUB_DATABASE_URL",
}  # fmt: skip


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    text = (ROOT / "Dockerfile").read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    instructions = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


def exec_form(arguments: str) -> list[str]:
    value = json.loads(arguments)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), arguments
    return value


def parse_serve(args: list[str]) -> dict[str, Any]:
    """Parse `serve` arguments with the real CLI's parser (validates option names, types, choices)."""
    group = typer.main.get_command(app)
    command = group.commands["serve"]  # type: ignore[attr-defined]
    with command.make_context("serve", list(args)) as ctx:
        return dict(ctx.params)


def test_dockerfile_entrypoint_is_the_command_the_tests_run() -> None:
    steps = dockerfile()
    [entrypoint] = [exec_form(args) for kind, args in steps if kind == "ENTRYPOINT"]
    [cmd] = [exec_form(args) for kind, args in steps if kind == "CMD"]
    assert entrypoint == list(SERVE_COMMAND)
    params = parse_serve(cmd)
    assert params["host"] == "0.0.0.0" and params["port"] == 8000 and params["role"].value == "all"
    # The options the image passes are the ones ServerProcess passes to every test server.
    test_command = ServerProcess(Path("x.yaml"), Path("."), port=1).command
    assert {a for a in cmd if a.startswith("--")} <= {a for a in test_command if a.startswith("--")}


def test_dockerfile_is_slim_non_root_with_a_health_check() -> None:
    steps = dockerfile()
    bases = [args.split()[0] for kind, args in steps if kind == "FROM"]
    assert bases and all(base.endswith("-slim") for base in bases), bases
    final_stage = steps[max(i for i, (kind, _) in enumerate(steps) if kind == "FROM") :]
    users = [args for kind, args in final_stage if kind == "USER"]
    assert users and users[-1] not in ("root", "0"), "the final image must not run as root"
    assert any(kind == "HEALTHCHECK" and "/readyz" in args for kind, args in final_stage)
    assert ("EXPOSE", "8000") in final_stage


def _health_command(argv: list[str], port: int) -> list[str]:
    return [arg.replace("127.0.0.1:8000", f"127.0.0.1:{port}") for arg in argv]


def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(data, dict)
    return data


def test_compose_runs_the_seeds_two_services_as_roles_on_postgresql() -> None:
    services = compose()["services"]
    assert set(services) == {"alert-system", "monitoring-service", "postgres"}
    roles = {
        name: parse_serve(services[name]["command"])["role"].value for name in ("alert-system", "monitoring-service")
    }
    assert roles == {"alert-system": "api", "monitoring-service": "worker"}
    for name in roles:
        service = services[name]
        environment = service["environment"]
        assert environment["ALERTHUB_DATABASE_URL"].startswith("postgresql://")
        assert "@postgres:5432/" in environment["ALERTHUB_DATABASE_URL"]
        assert set(environment) <= SEED_VARIABLES, set(environment) - SEED_VARIABLES
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert "/readyz" in " ".join(service["healthcheck"]["test"])
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert "8000:8000" in services["alert-system"]["ports"] and "ports" not in services["monitoring-service"]


@pytest.mark.e2e
def test_the_health_check_commands_work_against_a_real_server(tmp_path: Path) -> None:
    [docker_check] = [args for kind, args in dockerfile() if kind == "HEALTHCHECK"]
    docker_argv = exec_form(docker_check.split(" CMD ", 1)[1])
    compose_argv = compose()["services"]["monitoring-service"]["healthcheck"]["test"][1:]
    config = write_config(tmp_path / "alerthub.yaml", {"storage": {"url": f"sqlite:///{tmp_path / 'hub.db'}"}})
    with running(ServerProcess(config, tmp_path, role="worker")) as server:
        for argv in (docker_argv, compose_argv):
            argv = [sys.executable if a == "python" else a for a in _health_command(argv, server.port)]
            assert subprocess.run(argv, capture_output=True, timeout=10).returncode == 0
    # And it fails when nothing answers.
    assert (
        subprocess.run(
            [sys.executable if a == "python" else a for a in _health_command(docker_argv, server.port)],
            capture_output=True,
            timeout=10,
        ).returncode
        != 0
    )


def unit() -> str:
    return (ROOT / "deploy" / "alerthub.service").read_text()


def test_systemd_unit_runs_the_same_serve_command() -> None:
    [exec_start] = [line.split("=", 1)[1] for line in unit().splitlines() if line.startswith("ExecStart=")]
    argv = shlex.split(exec_start)
    assert Path(argv[0]).name == SERVE_COMMAND[0] and argv[1:2] == list(SERVE_COMMAND[1:])
    assert parse_serve(argv[2:])["role"].value == "all"
    assert "SuccessExitStatus=SIGTERM" in unit(), "uvicorn's re-raised SIGTERM is a clean stop"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_unit_verifies(tmp_path: Path) -> None:
    # verify checks that ExecStart exists: point it at this checkout's alerthub.
    local = str(Path(sys.executable).parent / SERVE_COMMAND[0])
    text = re.sub(r"^ExecStart=\S+", f"ExecStart={local}", unit(), flags=re.MULTILINE)
    path = tmp_path / "alerthub.service"
    path.write_text(text)
    result = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr  # unknown keys are only warnings: none allowed
