"""`alerthub tokens ...`, `alerthub users ...` and serve's refusal, run as a person would, against a
real SQLite file the hub then reads."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alerthub.cli.main import app
from alerthub.domain.clock import utc_now
from alerthub.hub import load_config
from alerthub.services.auth import AuthService
from alerthub.services.credentials import Scope
from alerthub.store.database import Database

runner = CliRunner()


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "alerthub.yaml"
    path.write_text(f"storage:\n  url: sqlite:///{tmp_path / 'hub.db'}\n", encoding="utf-8")
    assert run("db", "upgrade", "--config", str(path))[0] == 0, "the database is made first, as a person would"
    return path


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def check_token(config_file: Path, token: str) -> tuple[str, Scope] | None:
    async def go() -> tuple[str, Scope] | None:
        cfg = load_config(config_file)
        db = Database(cfg.storage.url)
        try:
            found = await AuthService(db, cfg, utc_now).authenticate_token(token)
            return (found.name, found.scope) if found else None
        finally:
            await db.dispose()

    return asyncio.run(go())


def test_create_prints_the_token_once_and_the_hub_accepts_it(config_file: Path) -> None:
    code, out, err = run("tokens", "create", "--scope", "ingest", "--name", "prometheus", "-c", str(config_file))
    assert code == 0, err
    token = out.strip()
    assert token.startswith("ah_") and "Authorization: Bearer" in err
    assert check_token(config_file, token) == ("prometheus", Scope.INGEST)
    code, out, _ = run("tokens", "list", "-c", str(config_file))
    assert code == 0 and "prometheus\tingest" in out and "never\tactive" in out
    assert token not in out, "list never shows the token"


def test_revoke_then_the_hub_refuses_it(config_file: Path) -> None:
    _, out, _ = run("tokens", "create", "--scope", "admin", "--name", "ci", "-c", str(config_file))
    code, out2, _ = run("tokens", "revoke", "ci", "-c", str(config_file))
    assert code == 0 and "revoked" in out2
    assert check_token(config_file, out.strip()) is None
    _, listed, _ = run("tokens", "list", "-c", str(config_file))
    assert "ci\tadmin" in listed and "revoked" in listed


def test_bad_inputs_exit_non_zero_with_a_reason(config_file: Path) -> None:
    code, _, err = run("tokens", "create", "--scope", "root", "--name", "x", "-c", str(config_file))
    assert code == 2 and "root" in err
    code, _, err = run("tokens", "revoke", "nobody", "-c", str(config_file))
    assert code == 1 and "no active token named 'nobody'" in err
    run("tokens", "create", "--scope", "read", "--name", "dup", "-c", str(config_file))
    code, _, err = run("tokens", "create", "--scope", "read", "--name", "dup", "-c", str(config_file))
    assert code == 1 and "already exists" in err


def test_users_add_reads_the_password_from_stdin_or_the_prompt(config_file: Path) -> None:
    code, out, err = run("users", "add", "alice", "--password-stdin", "-c", str(config_file), stdin="long enough\n")
    assert code == 0, err
    code, _, err = run("users", "add", "bob", "-c", str(config_file), stdin="pass-word-1\npass-word-1\n")
    assert code == 0, err
    code, _, err = run("users", "add", "carol", "--password-stdin", "-c", str(config_file), stdin="short\n")
    assert code == 1 and "too short" in err
    _, listed, _ = run("users", "list", "-c", str(config_file))
    assert "alice\tadmin" in listed and "bob\tadmin" in listed and "carol" not in listed
    code, _, err = run("users", "add", "alice", "--password-stdin", "-c", str(config_file), stdin="long enough\n")
    assert code == 1 and "already exists" in err


def test_serve_refuses_a_public_address_without_credentials(config_file: Path) -> None:
    code, _, err = run("serve", "-c", str(config_file), "--host", "0.0.0.0", "--port", "1")
    assert code == 2
    assert "refusing to listen on 0.0.0.0" in err and "alerthub users add" in err and "tokens create" in err


def test_serve_check_passes_once_credentials_exist(config_file: Path) -> None:
    from alerthub.cli.users import refuse_unprotected

    cfg = load_config(config_file)
    run("users", "add", "alice", "--password-stdin", "-c", str(config_file), stdin="long enough\n")
    refuse_unprotected(cfg, "0.0.0.0")  # does not exit
    refuse_unprotected(cfg, "127.0.0.1")


def test_users_add_and_tokens_create_say_what_changed_for_senders(config_file: Path) -> None:
    code, _, err = run("users", "add", "kim", "--password-stdin", "-c", str(config_file), stdin="long enough\n")
    assert code == 0, err
    assert "access control is now on" in err
    assert "loopback ingest stays open (auth.loopback_ingest: open)" in err and "tokens create --scope ingest" in err
    _, _, err = run("users", "add", "lee", "--password-stdin", "-c", str(config_file), stdin="long enough\n")
    assert "access control is now on" not in err and "loopback ingest stays open" in err
    code, _, err = run("tokens", "create", "--scope", "ingest", "--name", "monitors", "-c", str(config_file))
    assert code == 0, err
    assert "from loopback too now answers 401" in err and "Authorization: Bearer" in err
    _, _, err = run("tokens", "create", "--scope", "read", "--name", "grafana", "-c", str(config_file))
    assert "nothing changed: ingest already needs a token" in err


def test_with_loopback_ingest_token_the_first_login_closes_ingest_and_says_so(tmp_path: Path) -> None:
    config = tmp_path / "alerthub.yaml"
    db = tmp_path / "hub.db"
    config.write_text(f"storage:\n  url: sqlite:///{db}\nauth:\n  loopback_ingest: token\n", encoding="utf-8")
    assert run("db", "upgrade", "-c", str(config))[0] == 0
    code, out, err = run("users", "add", "kim", "--password-stdin", "-c", str(config), stdin="long enough\n")
    assert code == 0, err
    assert "access control is now on" in err and "from loopback too now answers 401" in err
    assert "auth.loopback_ingest: token" in err
    assert "answers 401" not in out, "the notice goes to standard error"
