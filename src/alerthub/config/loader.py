from __future__ import annotations

import copy
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from alerthub.config.environment import config_from_environment
from alerthub.config.models import Config
from alerthub.errors import ConfigError, Problem

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def read_config(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Read, expand and validate the configuration's shape; raise ConfigError listing every problem.
    The checks across keys and those only the boxes can make run at the root (`hub.load_config`)."""
    return parse_config(read_data(path, env))


def read_data(
    path: str | Path | None = None, env: Mapping[str, str] | None = None, unset: list[Problem] | None = None
) -> dict[str, Any]:
    """The configuration as data, `${VAR}`s expanded: with no path, `ALERTHUB_CONFIG`, then
    `./alerthub.yaml`, then the environment variables alone. An unset `${VAR}` raises ConfigError, or,
    given `unset`, is added to it and read as empty, so that the caller can report the other problems too."""
    env = os.environ if env is None else env
    source = _find(path, env)
    if source is None:
        return config_from_environment(env)
    found: list[Problem] = []
    data = _read_yaml(source, env, found)
    if found and unset is None:
        raise ConfigError(found)
    if unset is not None:
        unset += found
    if env.get("ALERTHUB_DATABASE_URL") and "url" not in (data.get("storage") or {}):
        data.setdefault("storage", {})
        data["storage"] = {**(data["storage"] or {}), "url": env["ALERTHUB_DATABASE_URL"]}
    return data


def parse_config(data: Mapping[str, Any]) -> Config:
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError([_problem(e) for e in exc.errors()]) from None


def salvage(data: Mapping[str, Any]) -> Config | None:
    """The configuration with every key its shape problems name left to its default, when that makes it
    valid: so that the checks across keys can run on the rest and report in the same pass. None when a
    problem sits where nothing can be left out (a required key, a whole section, an entry's type)."""
    pruned = copy.deepcopy(dict(data))
    try:  # validated again for the errors' own locations (keys and indexes), which their text flattens
        return Config.model_validate(pruned)
    except ValidationError as exc:
        if not all(_drop(pruned, e["loc"], e["type"] == "extra_forbidden") for e in exc.errors()):
            return None
    try:
        return Config.model_validate(pruned)
    except ValidationError:
        return None


def _drop(node: Any, loc: Sequence[int | str], unknown: bool) -> bool:
    """Remove the key at `loc` if it is an unknown key or holds a plain value; False where it cannot."""
    for step in loc[:-1]:
        if not _holds(node, step):
            return False
        node = node[step]
    key = loc[-1] if loc else None
    if not isinstance(node, dict) or key not in node:
        return False
    if not unknown and isinstance(node[key], dict | list):
        return False
    del node[key]
    return True


def _holds(node: Any, step: int | str) -> bool:
    if isinstance(node, list):
        return isinstance(step, int) and 0 <= step < len(node)
    return isinstance(node, dict) and step in node


def besides(reported: Sequence[Problem], problems: Sequence[Problem]) -> list[Problem]:
    """`problems` less those at or under a key already `reported`: a value read as empty because its
    variable is unset, or left to its default because it was wrong, is not reported again for that."""
    keys = [p.location for p in reported]
    return [p for p in problems if not any(p.location == k or p.location.startswith((f"{k}.", f"{k}[")) for k in keys)]


def config_file(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Path | None:
    """The file `read_data` reads for this path and environment; None when only the environment is."""
    return _find(path, os.environ if env is None else env)


def _find(path: str | Path | None, env: Mapping[str, str]) -> Path | None:
    if path is not None:
        return Path(path)
    if env.get("ALERTHUB_CONFIG"):
        return Path(env["ALERTHUB_CONFIG"])
    default = Path("alerthub.yaml")
    return default if default.exists() else None


def _read_yaml(path: Path, env: Mapping[str, str], unset: list[Problem]) -> dict[str, Any]:
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
    expanded: dict[str, Any] = _expand(data, env, "", unset)
    return expanded


def _expand(node: Any, env: Mapping[str, str], where: str, unset: list[Problem]) -> Any:
    """`${VAR}` and `${VAR:-default}` inside string values; done after parsing so a value can never
    change the YAML structure. An unset `${VAR}` with no default is a problem at its key: a secret
    left out of the environment must stop start-up, not become an empty string (`${VAR:-}` is empty
    on purpose)."""
    if isinstance(node, str):
        return _VAR.sub(lambda m: _value(m, env, where, unset), node)
    if isinstance(node, list):
        return [_expand(item, env, f"{where}[{i}]", unset) for i, item in enumerate(node)]
    if isinstance(node, dict):
        return {key: _expand(value, env, f"{where}.{key}" if where else str(key), unset) for key, value in node.items()}
    return node


def _value(match: re.Match[str], env: Mapping[str, str], where: str, unset: list[Problem]) -> str:
    name, default = match.group(1), match.group(2)
    if default is not None:
        return env.get(name) or default
    if name not in env:
        unset.append(Problem(where, f"the environment variable {name} is not set (write ${{{name}:-}} for empty)"))
        return ""
    return env[name]


def _problem(error: Mapping[str, Any]) -> Problem:
    parts: list[str] = []
    for item in error.get("loc", ()):
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1]}[{item}]"] if parts else [f"[{item}]"]
        else:
            parts.append(str(item))
    message = str(error.get("msg", "invalid"))
    if error.get("type") == "extra_forbidden":
        message = "unknown key (check the spelling)"
    return Problem(".".join(parts), message)
