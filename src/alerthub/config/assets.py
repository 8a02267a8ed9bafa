"""The `assets[]` and `dependencies[]` keys: one thing that many signals are about (a site, its host, its
Sentry project), and which of its alerts is the cause the others follow. Matcher strings are parsed
where the routes' are (pipeline/matchers.py, checked at the root); names across keys in checks.py."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _one_or_many(value: object) -> object:
    return [value] if isinstance(value, str) else value


# A matcher string (`alertname="x"`; several, comma-separated, must all match) or a list of them, any
# one of which matching is enough: `[service="shop", host="web-1"]` is the site's check or its host.
MatcherList = Annotated[list[str], BeforeValidator(_one_or_many), Field(min_length=1)]


class AssetConfig(_Strict):
    """Every alert whose labels (and `alertname`) match one of `matchers` gets the label `asset: <name>`
    when it opens, unless its sender set `asset` itself; the first matching asset wins."""

    name: str = Field(min_length=1, max_length=128)
    matchers: MatcherList


class DependencyConfig(_Strict):
    """While an alert of `asset` matching `cause` fires, the asset's alerts matching `suppress` page
    nobody (an inhibit rule); their resolutions still go out when they paged before."""

    asset: str
    cause: MatcherList
    suppress: MatcherList
