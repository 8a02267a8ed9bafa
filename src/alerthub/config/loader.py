from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from alerthub.config.checks import cross_check
from alerthub.config.environment import config_from_environment
from alerthub.config.models import Config
from alerthub.errors import ConfigError, Problem

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def load_config(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Read, expand and validate the configuration; raise ConfigError listing every problem.

    With no path, `ALERTHUB_CONFIG`, then `./alerthub.yaml`, then the environment variables alone.
    """
    env = os.environ if env is None else env
    source = _find(path, env)
    if source is None:
        data = config_from_environment(env)
    else:
        data = _read_yaml(source, env)
        if env.get("ALERTHUB_DATABASE_URL") and "url" not in (data.get("storage") or {}):
            data.setdefault("storage", {})
            data["storage"] = {**(data["storage"] or {}), "url": env["ALERTHUB_DATABASE_URL"]}
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError([_problem(e) for e in exc.errors()]) from None
    problems = cross_check(config)
    if problems:
        raise ConfigError(problems)
    return config


def _find(path: str | Path | None, env: Mapping[str, str]) -> Path | None:
    if path is not None:
        return Path(path)
    if env.get("ALERTHUB_CONFIG"):
        return Path(env["ALERTHUB_CONFIG"])
    default = Path("alerthub.yaml")
    return default if default.exists() else None


def _read_yaml(path: Path, env: Mapping[str, str]) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([Problem(str(path), f"cannot read: {exc.strerror}")]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise ConfigError([Problem(where, f"not valid YAML: {getattr(exc, 'problem', exc)}")]) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError([Problem(str(path), "the top level must be a mapping of keys")])
    expanded: dict[str, Any] = _expand(data, env)
    return expanded


def _expand(node: Any, env: Mapping[str, str]) -> Any:
    """`${VAR}` and `${VAR:-default}` inside string values; done after parsing so a value can never
    change the YAML structure."""
    if isinstance(node, str):
        return _VAR.sub(lambda m: env.get(m.group(1)) or (m.group(2) or ""), node)
    if isinstance(node, list):
        return [_expand(item, env) for item in node]
    if isinstance(node, dict):
        return {key: _expand(value, env) for key, value in node.items()}
    return node


_CHANNEL_TAGS = {"discord", "slack", "webhook", "email", "telegram", "apprise"}


def _problem(error: Mapping[str, Any]) -> Problem:
    parts: list[str] = []
    loc = list(error.get("loc", ()))
    for i, item in enumerate(loc):
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1]}[{item}]"] if parts else [f"[{item}]"]
        elif i > 0 and isinstance(loc[i - 1], int) and item in _CHANNEL_TAGS:
            continue  # the discriminated union repeats the channel type; the reader knows it already
        else:
            parts.append(str(item))
    message = str(error.get("msg", "invalid"))
    if error.get("type") == "extra_forbidden":
        message = "unknown key (check the spelling)"
    return Problem(".".join(parts), message)
