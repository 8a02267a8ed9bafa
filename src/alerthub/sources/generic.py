"""Any JSON turned into signals by a small per-endpoint field mapping (`integrations.generic[]`).

A mapping names, for each signal field, a dotted path into the body (`alert.labels.host`; a number
indexes a list: `checks.0.name`):

    fields: {rule_name: check.name, value: check.value, status: state, severity: level,
             summary: message, labels.host: check.host, annotations.runbook: links.runbook}

`labels` / `annotations` without a suffix copy a whole object. With no mapping at all a body of
`{"rule_name", "value", "status", "severity", "summary", "labels", "annotations"}` is read as is.
A JSON array is a batch: each element is mapped on its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import Field, SecretStr, field_validator

from alerthub.config.durations import Duration
from alerthub.config.models import Strict
from alerthub.domain.severity import Severity
from alerthub.domain.signal import Signal, SignalStatus
from alerthub.errors import InputError, Problem
from alerthub.sources.contracts import Endpoint, InboundRequest, Parsed, PushContext, PushSource, Settings, reveal
from alerthub.sources.signatures import require_token
from alerthub.validation import parse_json

SOURCE = "generic"
SCALAR_KEYS = frozenset({"rule_name", "value", "status", "severity", "summary", "description", "url"})
OBJECT_KEYS = frozenset({"labels", "annotations"})
DEFAULT_FIELDS: Mapping[str, str] = {
    key: key for key in ("rule_name", "value", "status", "severity", "summary", "labels", "annotations")
}

_FIRING = {"firing", "fire", "triggered", "trigger", "alerting", "alert", "problem", "down", "offline", "open", "bad"}
_RESOLVED = {"resolved", "resolve", "ok", "up", "online", "recovered", "closed", "normal", "good", "cleared"}
_MISSING = object()


@dataclass(frozen=True, slots=True)
class FieldMapping:
    name: str
    rule_name: str | None = None
    fields: Mapping[str, str] = field(default_factory=dict)


def check_fields(fields: Mapping[str, str]) -> list[str]:
    """What is wrong with a mapping's keys (used by config validation)."""
    problems = []
    for key, path in fields.items():
        prefix, dot, rest = key.partition(".")
        known = key in SCALAR_KEYS or key in OBJECT_KEYS or (dot and prefix in OBJECT_KEYS and rest)
        if not known:
            allowed = ", ".join(sorted(SCALAR_KEYS | OBJECT_KEYS))
            problems.append(f"unknown field {key!r}; use {allowed}, labels.<name> or annotations.<name>")
        if not path or any(not part for part in path.split(".")):
            problems.append(f"field {key!r}: {path!r} is not a dotted path")
    return problems


class GenericWebhookConfig(Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    token: SecretStr | None = None
    rule_name: str | None = None
    fields: dict[str, str] = Field(default_factory=dict)
    expect_every: Duration | None = None

    @field_validator("fields")
    @classmethod
    def _known_fields(cls, value: dict[str, str]) -> dict[str, str]:
        problems = check_fields(value)
        if problems:
            raise ValueError("; ".join(problems))
        return value


SETTINGS = Settings("generic", list[GenericWebhookConfig], empty=[])


class GenericWebhook(PushSource[list[GenericWebhookConfig], GenericWebhookConfig]):
    settings = SETTINGS
    path = "generic"
    named = True
    description = "Any JSON, mapped to signals by `integrations.generic[name].fields`."

    def endpoints(self, settings: list[GenericWebhookConfig]) -> Sequence[Endpoint[GenericWebhookConfig]]:
        return [Endpoint(g.name, f"{SOURCE}.{g.name}", g, g.expect_every) for g in settings]

    def authenticate(self, settings: GenericWebhookConfig, request: InboundRequest) -> None:
        key = f"integrations.generic[name={settings.name}].token"
        require_token(request.token(), reveal(settings.token), key, "Authorization: Bearer")

    async def parse(self, settings: GenericWebhookConfig, request: InboundRequest, context: PushContext) -> Parsed:
        mapping = FieldMapping(settings.name, settings.rule_name, settings.fields)
        return Parsed(tuple(parse(parse_json(request.body), mapping, max_items=context.max_items)))


PUSH = GenericWebhook()


def parse(data: Any, mapping: FieldMapping, *, max_items: int = 1000) -> list[Signal]:
    items = data if isinstance(data, list) else [data]
    if isinstance(data, list) and len(data) > max_items:
        raise InputError(f"too many items: {len(data)} > {max_items}", [Problem("body", f"at most {max_items}")], 413)
    if not items:
        raise InputError("the body is an empty array", [Problem("body", "at least one item")])
    roots = [f"body[{i}]" for i in range(len(items))] if isinstance(data, list) else ["body"]
    return [_one(item, mapping, root) for item, root in zip(items, roots, strict=True)]


def lookup(data: Any, path: str) -> Any:
    """The value at a dotted path, or `_MISSING`."""
    current = data
    for part in path.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return _MISSING
    return current


def _one(item: Any, mapping: FieldMapping, root: str) -> Signal:
    if not isinstance(item, dict):
        raise InputError(f"{root} must be a JSON object", [Problem(root, "must be an object")])
    fields = mapping.fields or DEFAULT_FIELDS
    reader = _Reader(item, fields, root)
    rule_name = reader.text("rule_name") or mapping.rule_name or mapping.name
    labels, annotations = reader.objects()
    for key in ("summary", "description", "url"):
        text = reader.text(key)
        if text:
            annotations[key] = text
    return Signal(
        rule_name=rule_name,
        source=SOURCE,
        value=reader.number("value"),
        labels=labels,
        annotations=annotations,
        status=reader.status(),
        severity=reader.severity(),
        raw=item,
    )


@dataclass(frozen=True, slots=True)
class _Reader:
    item: dict[str, Any]
    fields: Mapping[str, str]
    root: str

    def raw(self, key: str) -> Any:
        path = self.fields.get(key)
        value = _MISSING if path is None else lookup(self.item, path)
        return None if value is _MISSING else value

    def where(self, key: str) -> str:
        return f"{self.root}.{self.fields[key]}"

    def text(self, key: str) -> str | None:
        value = self.raw(key)
        if value is None or value == "":
            return None
        if isinstance(value, dict | list):
            raise self._bad(key, "must be text or a number, not an object or array")
        return str(value).lower() if isinstance(value, bool) else str(value)

    def number(self, key: str) -> float | None:
        value = self.raw(key)
        if value is None:
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        try:
            if isinstance(value, str):
                number = float(value)
                if number == number and abs(number) != float("inf"):
                    return number
        except ValueError:
            pass
        raise self._bad(key, f"must be a number, got {value!r}")

    def status(self) -> SignalStatus | None:
        word = self.text("status")
        if word is None:
            return None
        if word.lower() in _FIRING:
            return SignalStatus.FIRING
        if word.lower() in _RESOLVED:
            return SignalStatus.RESOLVED
        raise self._bad("status", f"{word!r} is neither firing ({', '.join(sorted(_FIRING))}) nor resolved")

    def severity(self) -> Severity | None:
        word = self.text("severity")
        if word is None:
            return None
        severity = Severity.parse(word)
        if severity is None:
            raise self._bad("severity", f"{word!r} is not a severity; use info, warning, high or critical")
        return severity

    def objects(self) -> tuple[dict[str, str], dict[str, str]]:
        labels: dict[str, str] = {}
        annotations: dict[str, str] = {}
        for key in self.fields:
            prefix, dot, name = key.partition(".")
            target = labels if prefix == "labels" else annotations if prefix == "annotations" else None
            if target is None:
                continue
            if dot:
                text = self.text(key)
                if text is not None:
                    target[name] = text
            else:
                target.update(self._object(key))
        return labels, annotations

    def _object(self, key: str) -> dict[str, str]:
        value = self.raw(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self._bad(key, "must be an object of names to text")
        out = {}
        for name, item in value.items():
            if isinstance(item, dict | list):
                raise InputError(
                    f"{self.where(key)}.{name} must be text", [Problem(f"{self.where(key)}.{name}", "must be text")]
                )
            if item is not None:
                out[str(name)] = str(item).lower() if isinstance(item, bool) else str(item)
        return out

    def _bad(self, key: str, message: str) -> InputError:
        return InputError(f"{self.where(key)} {message}", [Problem(self.where(key), message)])
