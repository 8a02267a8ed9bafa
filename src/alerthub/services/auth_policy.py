"""The rules of access that need no database: the login rate limit and where open access is allowed."""

from __future__ import annotations

import ipaddress
from collections import deque
from dataclasses import dataclass, field


@dataclass
class LoginLimiter:
    """At most `per_key` failed logins per (client, user) and `per_client` per client in `window`."""

    per_key: int = 5
    per_client: int = 20
    window: float = 300.0
    _failures: dict[str, deque[float]] = field(default_factory=dict)

    def retry_after(self, client: str, user: str, now: float) -> float | None:
        keyed = self._wait(f"{client}|{user}", self.per_key, now)
        worst = max(keyed, self._wait(client, self.per_client, now))
        return worst if worst > 0 else None

    def failed(self, client: str, user: str, now: float) -> None:
        for key in (f"{client}|{user}", client):
            self._failures.setdefault(key, deque()).append(now)
        if len(self._failures) > 10_000:  # bounded memory under a spray of client addresses
            self._failures = {k: v for k, v in self._failures.items() if v and v[-1] > now - self.window}

    def succeeded(self, client: str, user: str) -> None:
        self._failures.pop(f"{client}|{user}", None)

    def _wait(self, key: str, limit: int, now: float) -> float:
        times = self._failures.get(key)
        if not times:
            return 0.0
        while times and times[0] <= now - self.window:
            times.popleft()
        return times[0] + self.window - now if len(times) >= limit else 0.0


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def exposure_problem(host: str, has_credentials: bool) -> str | None:
    """Why serving on `host` would be unsafe, or None. Open access is only allowed on loopback."""
    if has_credentials or is_loopback(host):
        return None
    return (
        f"refusing to listen on {host}: no API token or user exists, so anyone who can reach it could read and "
        "change alerts.\nAdd credentials first, then start again:\n"
        "  alerthub users add NAME                          # a login for the web dashboard\n"
        "  alerthub tokens create --scope ingest --name N   # a token for senders (Authorization: Bearer)\n"
        "or listen on 127.0.0.1 only (--host 127.0.0.1)."
    )
