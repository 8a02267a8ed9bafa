"""What a source promises the rest of the hub, so that nothing above sources/ names a vendor.

* `Settings`: the source's own `integrations.<key>`, validated by the source's own model.
* `PullSource`: a poller. Whether the configuration enables it, its monitor name, kind and interval,
  and how to build its `Poller` around the HTTP client and clock its background task owns.
* `PushSource`: a webhook served at `/webhooks/<path>` (and `/webhooks/<path>/{name}` when `named`).
  How a request is authenticated (fail closed: no secret configured, no entry), how its raw body
  becomes signals or an "ignored" outcome, and each endpoint's `expect_every` (the dead man's switch).
* `rules` (either kind): the built-in rules of the alerts the source raises, which join rules/defaults.py's,
  so that they are listed, routed, silenced and overridden in `rules:` like those.

A new source is one module implementing one of these, one line in sources/registry.py, and its test.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, Protocol, TypeVar

import httpx
from pydantic import SecretStr, TypeAdapter

from alerthub.domain.alert import Alert
from alerthub.domain.clock import Clock
from alerthub.domain.rule import Rule
from alerthub.domain.signal import Signal
from alerthub.errors import NotFoundError
from alerthub.ingest.poller import Poller
from alerthub.sources.signatures import bearer_token

S = TypeVar("S")  # a source's validated settings
E = TypeVar("E")  # one webhook endpoint's settings


class Settings(Generic[S]):
    """`integrations.<key>` as its source reads it. Absent, it is `empty` (all defaults)."""

    def __init__(self, key: str, shape: type[S], *, empty: Mapping[str, Any] | Sequence[Any] | None = None) -> None:
        self.key = key
        self._adapter: TypeAdapter[S] = TypeAdapter(shape)
        self._empty: Mapping[str, Any] | Sequence[Any] = {} if empty is None else empty

    def read(self, raw: object) -> S:
        """Raises pydantic's ValidationError, whose locations are relative to `integrations.<key>`."""
        return self._adapter.validate_python(raw)

    def default(self) -> S:
        return self._adapter.validate_python(self._empty)

    def among(self, entries: Mapping[str, Any]) -> S:
        """This source's settings among `integrations` as written (`Config.integrations.entries()`),
        checked already by `check-config`; for a box that needs one source's settings and no other's."""
        return self.read(entries[self.key]) if self.key in entries else self.default()

    def __repr__(self) -> str:
        return f"Settings({self.key!r})"


def json_object(value: object) -> dict[str, Any]:
    """A parsed JSON value where an object is expected: itself, or empty when it is anything else."""
    return value if isinstance(value, dict) else {}


def reveal(secret: SecretStr | None) -> str | None:
    return secret.get_secret_value() if secret is not None else None


@dataclass(frozen=True, slots=True)
class InboundRequest:
    """One webhook request as received: raw bytes (signatures cover exactly these), lower-cased
    header names, and the `?token=` query parameter."""

    body: bytes
    headers: Mapping[str, str]
    query_token: str | None = None

    def token(self) -> str | None:
        return bearer_token(self.headers.get("authorization")) or self.query_token


@dataclass(frozen=True, slots=True)
class Parsed:
    """The signals one webhook yields; `ignored` says why there are none."""

    signals: tuple[Signal, ...]
    ignored: str | None = None


@dataclass(frozen=True, slots=True)
class Endpoint(Generic[E]):
    """One webhook a push source serves. `name` selects it (None when the source has a single one),
    `source` names who spoke (its heartbeat, its outcome), `expect_every` promises one that often."""

    name: str | None
    source: str
    settings: E
    expect_every: timedelta | None = None


class PushContext(Protocol):
    """What a push source may ask of the hub while it parses a request."""

    @property
    def max_items(self) -> int: ...

    def now(self) -> datetime: ...

    async def open_alert(self, signal: Signal) -> Alert | None:
        """The open alert this signal would update, if there is one."""
        ...


class PushSource(ABC, Generic[S, E]):
    """A webhook. `path` is its `/webhooks/<path>`; a `named` source serves one endpoint per name at
    `/webhooks/<path>/{name}`, and `/webhooks/<path>` is its endpoint named `default`."""

    settings: Settings[S]
    path: str
    named: bool = False
    description: str = ""
    rules: tuple[Rule, ...] = ()

    @abstractmethod
    def endpoints(self, settings: S) -> Sequence[Endpoint[E]]: ...

    @abstractmethod
    def authenticate(self, settings: E, request: InboundRequest) -> None:
        """Raise AuthenticationError unless the request proves where it comes from; with no secret
        configured nothing does (fail closed). Runs before the body is parsed."""

    @abstractmethod
    async def parse(self, settings: E, request: InboundRequest, context: PushContext) -> Parsed:
        """The body's signals; InputError (a 4xx naming what and where) for a body it cannot read."""

    def endpoint(self, settings: S, name: str | None) -> Endpoint[E]:
        found = next((e for e in self.endpoints(settings) if e.name == name), None)
        if found is None:
            raise NotFoundError(f"no {self.path} webhook named {name!r}; add it to integrations.{self.settings.key}[]")
        return found


class PullSource(ABC, Generic[S]):
    """A poller. Its monitor name is its lease and its status row: by default the kind, so one instance
    polls for all; a `per_machine` poller (host metrics) puts the machine in it, so each one polls."""

    settings: Settings[S]
    kind: str
    per_machine: bool = False
    rules: tuple[Rule, ...] = ()
    # (module, package extra) an enabled poller imports beyond the core install.
    needs: tuple[str, str] | None = None

    @abstractmethod
    def enabled(self, settings: S) -> bool:
        """Configured with everything it needs to poll (its credentials)."""

    @abstractmethod
    def interval(self, settings: S) -> timedelta: ...

    def monitor_name(self, settings: S) -> str:
        return self.kind

    @abstractmethod
    def poller(self, settings: S, http: httpx.AsyncClient, clock: Clock, timeout: timedelta) -> Poller:
        """The poller, around the HTTP client its task owns; `timeout` bounds one whole run."""
