"""A rule's `summary` / `description` templates, rendered into the alert's annotations.

Jinja2 in a sandbox: a template comes from configuration, but the values come from outside, and
neither may reach Python internals.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from alerthub.config.models import RuleConfig
from alerthub.domain.rule import Rule
from alerthub.domain.signal import Signal
from alerthub.errors import Problem


@lru_cache(maxsize=1)
def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


def check_template(text: str) -> str | None:
    """The syntax error in a template, or None; used by configuration validation."""
    try:
        _environment().parse(text)
    except TemplateError as exc:
        return str(exc)
    return None


def template_problems(rules: list[RuleConfig]) -> list[Problem]:
    """Every configured summary or description template that does not compile, with its location."""
    problems: list[Problem] = []
    for i, rule in enumerate(rules):
        for field in ("summary", "description"):
            text = getattr(rule, field)
            error = check_template(text) if text is not None else None
            if error:
                problems.append(Problem(f"rules[{i}].{field}", f"template error: {error}"))
    return problems


def annotate(signal: Signal, rule: Rule) -> Signal:
    if rule.summary is None and rule.description is None:
        return signal
    context: dict[str, object] = {
        "value": signal.value,
        "labels": {**rule.labels, **signal.labels},
        "annotations": signal.annotations,
        "rule": rule.name,
        "severity": signal.severity.value if signal.severity else rule.severity.value,
    }
    annotations = dict(signal.annotations)
    for key, template in (("summary", rule.summary), ("description", rule.description)):
        if template is not None:
            annotations[key] = _render(template, context)
    return replace(signal, annotations=annotations)


def _render(template: str, context: dict[str, object]) -> str:
    try:
        return _compiled(template).render(context)
    except TemplateError as exc:
        # A template naming a label this signal lacks must not lose the alert: keep the text and say why.
        return f"{template} (template error: {exc})"


@lru_cache(maxsize=256)
def _compiled(template: str) -> Template:
    return _environment().from_string(template)
