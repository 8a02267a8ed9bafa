"""The whole HTTP API fuzzed from its own /openapi.json (schemathesis), against a real server: valid and
invalid inputs alike must never produce a 5xx or a response that breaks the documented schema."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from support.processes import ServerProcess, running, write_config

pytestmark = pytest.mark.e2e

# Bounded so `make test` stays quick; raise it locally for a deeper run: ALERTHUB_FUZZ_EXAMPLES=500.
EXAMPLES = int(os.environ.get("ALERTHUB_FUZZ_EXAMPLES", "10"))
CHECKS = [not_a_server_error, response_schema_conformance]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    workdir = tmp_path_factory.mktemp("fuzz")
    settings_ = {"storage": {"url": f"sqlite:///{workdir / 'hub.db'}"}}
    with running(ServerProcess(write_config(workdir / "alerthub.yaml", settings_), workdir)) as process:
        yield process


def _fuzz(operation: schemathesis.APIOperation, mode: GenerationMode, base_url: str) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case) -> None:
        response = case.call(base_url=base_url, timeout=10)
        case.validate_response(response, checks=CHECKS)

    run()


def test_no_server_errors_or_schema_violations(server: ServerProcess, tmp_path: Path) -> None:
    schema = schemathesis.openapi.from_url(server.url + "/openapi.json")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _fuzz(operation, mode, server.url)
            except Unsatisfiable:
                continue  # nothing to negate: an operation without parameters or body has no invalid input
            except (Exception, BaseExceptionGroup) as exc:  # collect every failing operation
                failures.append(f"{operation.method.upper()} {operation.path} ({mode.value}): {exc}")
    assert operations >= 10, "the OpenAPI document lists suspiciously few operations"
    assert not failures, "\n\n".join(failures) + "\n\nserver log tail:\n" + server.log()[-4000:]
