"""`alerthub serve`: one process of a given role, with the HTTP limits and shutdown behaviour we promise.

On SIGTERM (or Ctrl-C) uvicorn stops accepting connections at once, closes idle ones, lets requests in
flight finish for up to `server.shutdown_timeout`, then the app's lifespan stops the background loops
(each finishes the item in hand: a claimed notification is sent or its lease simply expires) and
closes the database pool. docs/operations.md states the bound; tests/faults/test_sigterm.py holds it.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import math
import os
import socket

import uvicorn

from alerthub.api.app import create_app
from alerthub.api.http_protocol import guarded_protocol
from alerthub.config.models import Config
from alerthub.hub import Hub, build_hub
from alerthub.hub_reload import ConfigSource
from alerthub.roles import Role
from alerthub.serving_processes import WorkerMain, WorkerServer, serve_processes
from alerthub.store.instance_lock import InstanceLock, sqlite_file
from alerthub.telemetry_peers import PeerMetrics

logger = logging.getLogger(__name__)


def quiet_http_client_logs() -> None:
    """httpx logs every request's full URL at INFO, and webhook URLs carry their secret (Discord's token,
    Slack's path, a `?token=`): keep those loggers at WARNING. Channels log redacted URLs themselves."""
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)


def uvicorn_config(
    cfg: Config, *, host: str, port: int, role: Role, source: ConfigSource | None = None, hub: Hub | None = None
) -> uvicorn.Config:
    """The hub (built here unless given), its app for `role`, and uvicorn with the limits and timeouts of
    `server.*`. With `source`, the configuration reloads on SIGHUP and `POST /-/reload`."""
    server = cfg.server
    hub = hub or build_hub(cfg)
    return uvicorn.Config(
        create_app(hub, role=role, source=source),
        host=host,
        port=port,
        http=guarded_protocol(server.request_read_timeout.total_seconds(), server.max_header_bytes),
        log_level=server.log_level,
        log_config=None,  # uvicorn's loggers propagate to the root handler `logs.configure_logging` set
        access_log=server.access_log,
        # uvicorn counts the connection asking too (`>=`), hence + 1 for exactly max_connections.
        limit_concurrency=server.max_connections + 1,
        timeout_keep_alive=max(1, math.ceil(server.keep_alive_timeout.total_seconds())),
        timeout_graceful_shutdown=max(1, math.ceil(server.shutdown_timeout.total_seconds())),
    )


# Young-generation collections after this many net allocations (CPython's default is 700).
GC_YOUNG_THRESHOLD = 10_000


def tune_garbage_collector() -> None:
    """Keep the cyclic garbage collector off the hot path of a long-running server.

    With CPython's defaults a 100-alert request triggers dozens of young collections, and every tenth
    of those an older one that walks the hundreds of thousands of objects the framework, SQLAlchemy and
    pydantic keep alive for the life of the process (bench/NOTES.md has the cost).
    Freezing what exists once the app is built takes those out of every later collection; a higher
    young threshold makes collections rarer. Garbage is still collected, a little later.
    """
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)


def worker_count(cfg: Config) -> int:
    """`server.workers`, with `auto` made a number: a process per core this one may run on, on PostgreSQL."""
    workers = cfg.server.workers
    if workers != "auto":
        return workers
    if not cfg.storage.url.startswith("postgres"):
        return 1
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def serve(cfg: Config, *, host: str, port: int, role: Role, source: ConfigSource | None = None) -> int:
    """Run until SIGTERM/SIGINT; the exit status. Raises InstanceLockedError when a SQLite file is
    already served."""
    quiet_http_client_logs()
    workers = worker_count(cfg)
    if workers > 1:
        main = _worker_main(cfg, role, source)
        return serve_processes(host=host, port=port, role=role, workers=workers, main=main)
    database = sqlite_file(cfg.storage.url)
    lock = InstanceLock(database) if database is not None else contextlib.nullcontext()
    with lock:
        logger.info("alerthub starting: role=%s listen=%s:%d", role.value, host, port)
        server = uvicorn.Server(uvicorn_config(cfg, host=host, port=port, role=role, source=source))
        tune_garbage_collector()
        server.run()
    return 0


# uvicorn's own exit status when the app's startup fails
STARTUP_FAILURE = 3


def _worker_main(cfg: Config, role: Role, source: ConfigSource | None) -> WorkerMain:
    """What each of several worker processes runs (serving_processes.py): a whole hub on the shared port."""

    def main(listener: socket.socket, peers: PeerMetrics, parent: int | None) -> int:
        hub = build_hub(cfg)
        hub.metrics.peers = peers
        host, port = listener.getsockname()[:2]
        config = uvicorn_config(cfg, host=host, port=port, role=role, source=source, hub=hub)
        server = WorkerServer(config, peers, hub.metrics.registry, parent)
        tune_garbage_collector()
        server.run(sockets=[listener])
        return 0 if server.started else STARTUP_FAILURE

    return main
