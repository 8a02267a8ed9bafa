"""Apprise, Google's GA4 client and asyncpg are package extras: a hub configured to use one that is not
installed fails check-config (and so start-up) naming the extra to install, rather than an ImportError
at the first send or poll. The test venv has every extra, so the missing module is simulated by
blocking its import (sys.modules[name] = None) in the real CLI's process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from support.processes import write_config

RUN_CLI_WITHOUT = """
import sys
sys.modules[sys.argv[1]] = None  # an import of it now raises ImportError, as when it is not installed
from alerthub.cli.main import main
sys.argv = ["alerthub", *sys.argv[2:]]
main()
"""

CASES = {
    "apprise": ("apprise", {"channels": [{"name": "ops", "type": "apprise", "urls": ["json://127.0.0.1:9/x"]}]},
                "channels[0]"),
    "ga4": ("google.analytics.data_v1beta", {"integrations": {"ga4": {"property_id": "123456"}}},
            "integrations.ga4"),
    "postgres": ("asyncpg", {"storage": {"url": "postgresql://alerthub@127.0.0.1:9/alerthub"}}, "storage.url"),
}  # fmt: skip


def check_config(tmp_path: Path, blocked: str, config: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    path = write_config(tmp_path / "alerthub.yaml", config)
    argv = [sys.executable, "-c", RUN_CLI_WITHOUT, blocked, "check-config", "--config", str(path)]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=tmp_path)


@pytest.mark.parametrize("extra", sorted(CASES))
def test_configuring_what_an_absent_extra_brings_names_the_extra(tmp_path: Path, extra: str) -> None:
    module, config, where = CASES[extra]
    result = check_config(tmp_path, module, config)
    assert result.returncode == 1, result.stdout + result.stderr
    expected = f"  {where}: needs the {module} package, which is not installed: pip install 'alerthub-server[{extra}]'"
    assert expected in result.stderr.splitlines(), result.stderr
    assert "Traceback" not in result.stderr


def test_a_hub_that_uses_none_of_them_runs_without_them(tmp_path: Path) -> None:
    """Every extra blocked at once: a SQLite hub with no Apprise channel and no GA4 still checks clean."""
    code = RUN_CLI_WITHOUT.replace(
        "sys.modules[sys.argv[1]] = None",
        "[sys.modules.__setitem__(m, None) for m in sys.argv[1].split(',')]",
    )
    path = write_config(tmp_path / "alerthub.yaml", {"storage": {"url": f"sqlite:///{tmp_path / 'hub.db'}"}})
    blocked = ",".join(module for module, _, _ in CASES.values())
    argv = [sys.executable, "-c", code, blocked, "check-config", "--config", str(path)]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "configuration is valid" in result.stdout


def test_every_extra_is_installed_with_the_test_extra() -> None:
    """CI and .ci/lowest-versions install `.[test]`: it must bring every extra, so their code stays tested."""
    import tomllib

    project = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    assert "alerthub-server[all]" in extras["test"]
    assert extras["all"] == ["alerthub-server[apprise,ga4,postgres]"]
    assert not {"apprise", "asyncpg", "google-analytics-data"} & {d.split(">")[0] for d in project["dependencies"]}
