"""The one error tree of alerthub.

* AlerthubError
  x ConfigError                 the configuration is invalid (carries every problem with its location)
  x InputError                  a request or payload from outside is unacceptable (a 4xx)
    + UnknownRuleError          a signal names a rule that does not exist (422)
    + AuthenticationError       a signature, token or secret is missing or wrong (401)
    + NotFoundError             the thing asked for does not exist (404)
    + ConflictError             the action does not fit the current state (409)
    + ForbiddenError            a credential that is not ours (a tampered action link: 403)
    + ExpiredError              a credential that was ours and has run out (an old action link: 410)
  x StoreError                  the database failed or is unreachable
    + StoreUnavailableError     the database cannot be reached right now (503, retry later)
  x SourceError                 an outside API a poller reads failed (retryable or not)
  x DeliveryError               a channel could not deliver (retryable or permanent)
  x HttpFailure                 an outbound HTTP request got no answer (channels turn it into a DeliveryError)
    + HttpTimeout               no answer in time
    + HttpUnreachable           no connection, or an answer that is not HTTP
    + HttpRequestRefused        the request cannot be sent as it is (a header with a line break)
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass


class AlerthubError(Exception):
    """Base of every error alerthub raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, and where: `rules[2].thresholds.high`."""

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


def missing_extra(where: str, module: str, extra: str) -> list[Problem]:
    """[] when `module` imports; else a problem at `where` naming the package extra that installs it
    (Apprise, Google's GA4 client and asyncpg are optional: a hub that does not use them goes without)."""
    try:
        importlib.import_module(module)
    except ImportError:
        message = f"needs the {module} package, which is not installed: pip install 'alerthub-server[{extra}]'"
        return [Problem(where, message)]
    return []


class ConfigError(AlerthubError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


class InputError(AlerthubError):
    """Bad input from outside; `status` is the HTTP status it answers with."""

    status = 422

    def __init__(self, message: str, problems: list[Problem] | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems or []
        if status is not None:
            self.status = status


class UnknownRuleError(InputError):
    def __init__(self, rule_name: str, known: list[str]) -> None:
        super().__init__(
            f"unknown rule_name {rule_name!r}; known rules: {', '.join(sorted(known))}",
            [Problem("rule_name", f"unknown rule {rule_name!r}")],
        )
        self.known = sorted(known)


class AuthenticationError(InputError):
    status = 401


class NotFoundError(InputError):
    status = 404


class ForbiddenError(InputError):
    status = 403


class ExpiredError(InputError):
    status = 410


class ConflictError(InputError):
    status = 409


class StoreError(AlerthubError):
    pass


class StoreUnavailableError(StoreError):
    """The database is away; callers answer 503 with Retry-After and store nothing."""


class SourceError(AlerthubError):
    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class DeliveryError(AlerthubError):
    """A channel failed to deliver. `retryable` decides between another attempt and `failed`."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status
        self.retry_after = retry_after


class HttpFailure(AlerthubError):
    """`kind` names what happened in the words an operator reads in `last_error` (ReadTimeout,
    ConnectError, RemoteProtocolError, LocalProtocolError)."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind


class HttpTimeout(HttpFailure):
    pass


class HttpUnreachable(HttpFailure):
    pass


class HttpRequestRefused(HttpFailure):
    pass
