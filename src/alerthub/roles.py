"""What one `alerthub serve` process does: the seed's `alert-system` and `monitoring-service` as roles.

* `all`    — the HTTP API and web page, and the background loops (pollers, dispatcher, delivery).
* `api`    — HTTP only: ingest, the API, the web page. No background loop runs, so any number of these
             can sit behind a load balancer and scale with request volume.
* `worker` — the background loops, plus `/healthz`, `/readyz` and `/metrics` so an orchestrator can
             check it and Prometheus can read its delivery counters.

Roles only make sense on PostgreSQL, where the loops of several processes share the work through
leases and `SKIP LOCKED`; on SQLite one process runs everything (see store/instance_lock.py).
"""

from __future__ import annotations

from enum import StrEnum

from starlette.routing import BaseRoute

WORKER_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


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


def routes_for(role: Role, routes: list[BaseRoute]) -> list[BaseRoute]:
    """The routes a process of this role answers; a worker keeps only its health and metrics."""
    if role.serves_api:
        return routes
    return [route for route in routes if getattr(route, "path", None) in WORKER_PATHS]
