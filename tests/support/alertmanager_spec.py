"""Alertmanager's own OpenAPI definition (vendored in tests/fixtures/alertmanager/openapi.yaml) as a JSON
Schema validator: an answer alerthub gives on an Alertmanager path must be valid for it.

Swagger 2.0 schemas are JSON Schema draft 4 with `#/definitions/...` references; the validator resolves
them against the whole document. Formats (`date-time`, `uri`) are checked too.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft4Validator, FormatChecker

SPEC_PATH = Path(__file__).parent.parent / "fixtures" / "alertmanager" / "openapi.yaml"


@cache
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    return loaded


def response_schema(path: str, method: str = "get", status: str = "200") -> dict[str, Any]:
    """The schema of one documented answer, with the spec's definitions beside it for `$ref`s."""
    schema = spec()["paths"][path][method]["responses"][status]["schema"]
    return {**schema, "definitions": spec()["definitions"]}


def assert_valid(body: Any, path: str, method: str = "get", status: str = "200") -> None:
    """Raise with every violation (and where it is) when `body` does not fit the documented answer."""
    validator = Draft4Validator(response_schema(path, method, status), format_checker=FormatChecker())
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    problems = [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors]
    assert not problems, f"{method.upper()} {path} answer does not fit Alertmanager's spec:\n" + "\n".join(problems)
