"""What one `alerthub serve` process does: the seed's `alert-system` and `monitoring-service` as roles.

* `all`    — the HTTP API and web page, and the background loops (pollers, dispatcher, delivery).
* `api`    — HTTP only: ingest, the API, the web page. No pollers, pipeline or delivery run (only the
             loops that serve HTTP itself, such as recording API token use), so any number of these
             can sit behind a load balancer and scale with request volume.
* `worker` — the background loops, plus `/healthz`, `/readyz` and `/metrics` so an orchestrator can
             check it and Prometheus can read its delivery counters.

Roles only make sense on PostgreSQL, where the loops of several processes share the work through
leases and `SKIP LOCKED`; on SQLite one process runs everything (see store/instance_lock.py).
"""

from __future__ import annotations

from enum import StrEnum

# Loops that serve the HTTP side (writing API tokens' last use; hearing other processes' changes for
# live pages) and so run wherever the API does.
API_LOOPS = frozenset({"token-usage", "broadcast"})


class Role(StrEnum):
    ALL = "all"
    API = "api"
    WORKER = "worker"

    @property
    def serves_api(self) -> bool:
        return self is not Role.WORKER

    @property
    def runs_background(self) -> bool:
        return self is not Role.API

    def runs(self, loop: str) -> bool:
        """Whether a process of this role runs the background loop named `loop` (a key of hub.background)."""
        return self.runs_background or (self.serves_api and loop in API_LOOPS)
