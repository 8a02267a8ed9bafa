"""The Dockerfile, docker-compose.yml and systemd unit, checked the ways that exist without a Docker
engine: they parse, their commands are valid for the real CLI and equal to what the tests run, and the
health check command works against a real server."""

from __future__ import annotations

import functools
import json
import os
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
    "ALERTHUB_DATABASE_URL", "ALERTHUB_ADMIN_TOKEN", "ALERTHUB_ADMIN_PASSWORD",
}  # fmt: skip
ENTRYPOINT_SCRIPT = ROOT / "deploy" / "docker-entrypoint.sh"


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


def entrypoint_argv(tmp_path: Path, *args: str) -> list[str]:
    """What the image's entrypoint script passes to `alerthub`, seen by a fake one on PATH."""
    fake = tmp_path / "bin" / "alerthub"
    fake.parent.mkdir(exist_ok=True)
    fake.write_text(f"#!{sys.executable}\nimport json, sys\nprint(json.dumps(sys.argv[1:]))\n")
    fake.chmod(0o755)
    env = {"PATH": f"{fake.parent}:/usr/bin:/bin"}
    result = subprocess.run([str(ENTRYPOINT_SCRIPT), *args], capture_output=True, text=True, timeout=10, env=env)
    assert result.returncode == 0, result.stderr
    value = json.loads(result.stdout)
    assert isinstance(value, list)
    return value


def test_dockerfile_entrypoint_is_the_command_the_tests_run(tmp_path: Path) -> None:
    steps = dockerfile()
    [entrypoint] = [exec_form(args) for kind, args in steps if kind == "ENTRYPOINT"]
    [cmd] = [exec_form(args) for kind, args in steps if kind == "CMD"]
    # The script is copied to the name the ENTRYPOINT runs, and given the CMD's options it runs serve.
    assert ("COPY", f"--chmod=0755 deploy/docker-entrypoint.sh /usr/local/bin/{entrypoint[0]}") in steps
    argv = entrypoint_argv(tmp_path, *entrypoint[1:], *cmd)
    assert argv[:2] == [SERVE_COMMAND[1], "--wait-for-credentials"] and argv[2:] == cmd
    params = parse_serve(argv[1:])
    assert params["wait_for_credentials"] is True
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
    # No fixed host port on the service that scales (`--scale alert-system=3`): Docker picks one each.
    assert services["alert-system"]["ports"] == ["8000"] and "ports" not in services["monitoring-service"]


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


def test_entrypoint_runs_any_other_alerthub_command(tmp_path: Path) -> None:
    """`docker compose run --rm alert-system tokens create ...` is `alerthub tokens create ...`."""
    assert entrypoint_argv(tmp_path, "tokens", "create", "--scope", "admin", "--name", "ops") == [
        "tokens", "create", "--scope", "admin", "--name", "ops",
    ]  # fmt: skip
    assert entrypoint_argv(tmp_path, "serve", "--role", "api") == ["serve", "--role", "api"]
    assert entrypoint_argv(tmp_path) == ["serve", "--wait-for-credentials"]


def test_entrypoint_creates_a_token_with_the_real_cli(tmp_path: Path) -> None:
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "ALERTHUB_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}",
        "HOME": str(tmp_path),
    }
    # The database first, as on a fresh host (the waiting API or `... db upgrade` makes it): the CLI makes none.
    upgraded = subprocess.run(
        [str(ENTRYPOINT_SCRIPT), "db", "upgrade"], capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path
    )
    assert upgraded.returncode == 0, upgraded.stderr
    run = [str(ENTRYPOINT_SCRIPT), "tokens", "create", "--scope", "admin", "--name", "ops"]
    created = subprocess.run(run, capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() and "token 'ops' (admin) created" in created.stderr
    listed = subprocess.run(
        [str(ENTRYPOINT_SCRIPT), "tokens", "list"], capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path
    )
    assert listed.returncode == 0 and "ops" in listed.stdout, listed.stderr


def test_the_image_keeps_sqlite_data_in_a_volume() -> None:
    steps = dockerfile()
    final_stage = steps[max(i for i, (kind, _) in enumerate(steps) if kind == "FROM") :]
    [workdir] = [args for kind, args in final_stage if kind == "WORKDIR"]
    volumes = [exec_form(args) for kind, args in final_stage if kind == "VOLUME"]
    assert volumes == [[f"{workdir}/data"]]  # where the default sqlite:///./data/alerthub.db lands
    assert any(kind == "RUN" and "chown alerthub" in args and f"{workdir}/data" in args for kind, args in final_stage)
    assert any(kind == "RUN" and "'.[all]'" in args for kind, args in steps), "the image carries every extra"


def test_compose_mounts_the_ga4_credentials_file_it_points_at() -> None:
    for name in ("alert-system", "monitoring-service"):
        service = compose()["services"][name]
        inside = "/run/secrets/ga4-credentials.json"
        assert (
            service["environment"]["GOOGLE_APPLICATION_CREDENTIALS"] == f"${{GOOGLE_APPLICATION_CREDENTIALS:+{inside}}}"
        )
        [mount] = service["volumes"]
        source, target, mode = mount.rsplit(":", 2)
        assert (target, mode) == (inside, "ro")
        assert source == "${GOOGLE_APPLICATION_CREDENTIALS:-./deploy/no-ga4-credentials.json}"
        assert (ROOT / "deploy" / "no-ga4-credentials.json").is_file()
        assert service["environment"]["ALERTHUB_ADMIN_TOKEN"] == "${ALERTHUB_ADMIN_TOKEN:-}"


@functools.cache
def _docker_compose() -> str | None:
    """Why `docker compose` cannot run here, or None."""
    if shutil.which("docker") is None:
        return "docker is not installed"
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, timeout=30)
    said = (probe.stderr.strip().splitlines() or [""])[0]
    return None if probe.returncode == 0 else f"`docker compose version` failed: {said}"


@pytest.mark.skipif(_docker_compose() is not None, reason=str(_docker_compose()))
def test_docker_compose_renders_the_file(tmp_path: Path) -> None:
    credentials = tmp_path / "sa.json"
    credentials.write_text("{}")
    env = {**os.environ, "POSTGRES_PASSWORD": "pw", "GOOGLE_APPLICATION_CREDENTIALS": str(credentials)}
    result = subprocess.run(
        ["docker", "compose", "-f", str(ROOT / "docker-compose.yml"), "config", "--format", "json"],
        capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    api = services["alert-system"]
    assert api["environment"]["GOOGLE_APPLICATION_CREDENTIALS"] == "/run/secrets/ga4-credentials.json"
    assert [v["source"] for v in api["volumes"]] == [str(credentials)]
    assert [p.get("published") in (None, "") for p in api["ports"]] == [True]
