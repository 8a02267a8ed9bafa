"""A measurement probe, not part of alerthub: would a SQLite writer process fed by front processes pay?

`serve` on SQLite is one process (store/instance_lock.py). Issue 17 proposes a writer process whose
siblings parse, validate and authenticate requests and hand it ready signals. Built for real, that needs
every other request proxied to the writer, the fronts' reloads and token use carried across, and its
failure modes tested; this probe measures its best case first. The writer is a whole hub (its app, loops
and group commit) that also reads pickled signal batches from a Unix socket and answers each after its
commit; the front is the app with `hub.ingest` replaced by that socket's client. An open hub on loopback:
no tokens, nothing proxied.

    .venv/bin/python bench/handover_probe.py [rounds]

runs the bench's own throughput phases (phases.py) against one `alerthub serve` and against writer + front,
alternating, and prints alerts/s and CPU seconds (both processes). bench/NOTES.md has what they showed.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import pickle
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from phases import Result, throughput
from servers import THROUGHPUT, Server, _wait_ready, alerthub_config, free_port, start_alerthub, start_receiver

_LENGTH = struct.Struct("!I")
PHASES = (("new 1/req c16", 1, 16, False), ("new 1/req c64", 1, 64, False), ("dedup 1/req c64", 1, 64, True))
PHASES += (("new 100/req c16", 100, 16, False),)


class _RemoteIngest:
    """In the front: `IngestService.ingest` answered by the writer, requests multiplexed on one socket."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.writer: asyncio.StreamWriter | None = None
        self.waiting: dict[int, asyncio.Future[tuple[str, Any]]] = {}
        self.ids = itertools.count()
        self.reading: asyncio.Task[None] | None = None
        self.connecting = asyncio.Lock()

    async def _read(self, reader: asyncio.StreamReader) -> None:
        while True:
            size = _LENGTH.unpack(await reader.readexactly(_LENGTH.size))[0]
            request, answer = pickle.loads(await reader.readexactly(size))
            self.waiting.pop(request).set_result(answer)

    async def ingest(self, signals: Sequence[Any], *, known_rules_only: bool = True) -> Any:
        async with self.connecting:  # the first requests arrive together: one connection for all
            if self.writer is None:
                reader, self.writer = await asyncio.open_unix_connection(self.path)
                self.reading = asyncio.create_task(self._read(reader))
        request = next(self.ids)
        answer = self.waiting[request] = asyncio.get_running_loop().create_future()
        frame = pickle.dumps((request, list(signals), known_rules_only), protocol=pickle.HIGHEST_PROTOCOL)
        self.writer.write(_LENGTH.pack(len(frame)) + frame)
        kind, value = await answer
        if kind != "ok":
            raise RuntimeError(value)
        return value


async def _answer_fronts(hub: Any, path: str) -> asyncio.Server:
    """In the writer: each frame is a batch of signals, ingested (group commit joins concurrent ones) and
    answered after its commit."""
    running: set[asyncio.Task[None]] = set()

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async def one(request: int, signals: list[Any], known: bool) -> None:
            try:
                answer: tuple[str, Any] = ("ok", await hub.ingest.ingest(signals, known_rules_only=known))
            except Exception as exc:  # the probe's boundary: the front raises it
                answer = ("error", repr(exc))
            frame = pickle.dumps((request, answer), protocol=pickle.HIGHEST_PROTOCOL)
            writer.write(_LENGTH.pack(len(frame)) + frame)

        while True:
            try:
                size = _LENGTH.unpack(await reader.readexactly(_LENGTH.size))[0]
                request, signals, known = pickle.loads(await reader.readexactly(size))
            except asyncio.IncompleteReadError:
                return
            task = asyncio.create_task(one(request, signals, known))
            running.add(task)
            task.add_done_callback(running.discard)

    return await asyncio.start_unix_server(connection, path)


def _writer(config: str, port: int, front_port: int, path: str) -> None:
    import uvicorn

    from alerthub.config.loader import read_config
    from alerthub.hub import build_hub
    from alerthub.roles import Role
    from alerthub.serving import tune_garbage_collector, uvicorn_config

    cfg = read_config(config)
    hub = build_hub(cfg)
    server = uvicorn.Server(uvicorn_config(cfg, host="127.0.0.1", port=port, role=Role.ALL, hub=hub))
    fronts: list[subprocess.Popen[bytes]] = []

    async def run() -> None:
        async def then_the_front() -> None:
            while not server.started:
                await asyncio.sleep(0.05)
            await _answer_fronts(hub, path)
            args = [sys.executable, __file__, "--front", config, str(front_port), path]
            fronts.append(subprocess.Popen(args))  # it exits when the writer does (`_exit_with`)

        starting = asyncio.create_task(then_the_front())
        await server.serve()
        starting.cancel()

    tune_garbage_collector()
    asyncio.run(run())


def _front(config: str, port: int, path: str) -> None:
    import uvicorn

    from alerthub.api.app import create_app
    from alerthub.config.loader import read_config
    from alerthub.hub import build_hub
    from alerthub.roles import Role
    from alerthub.serving import tune_garbage_collector, uvicorn_config

    _exit_with(os.getppid())
    cfg = read_config(config)
    hub = build_hub(cfg)
    hub.ingest = _RemoteIngest(path)  # type: ignore[assignment]
    settings = uvicorn_config(cfg, host="127.0.0.1", port=port, role=Role.ALL, hub=hub)
    settings.app = create_app(hub, migrate=False, run_background=False)
    tune_garbage_collector()
    uvicorn.Server(settings).run()


def _exit_with(parent: int) -> None:
    """The writer stops the way `serve` does, by re-raising SIGTERM after uvicorn's shutdown, which skips
    any cleanup of its own: so the front watches for its writer to go."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def start_split(receiver_port: int) -> Server:
    workdir = Path(tempfile.mkdtemp(prefix="bench-handover-"))
    config = workdir / "alerthub.yaml"
    config.write_text(alerthub_config(THROUGHPUT, receiver_port, f"sqlite:///{workdir / 'alerthub.db'}"))
    port, front_port = free_port(), free_port()
    log = workdir / "server.log"
    args = [sys.executable, __file__, "--writer", str(config), str(port), str(front_port), str(workdir / "h.sock")]
    proc = subprocess.Popen(args, stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=workdir)
    server = Server("writer+front", front_port, proc, workdir)
    _wait_ready(f"{server.base}/readyz", proc, log)
    return server


def _line(result: Result) -> str:
    rate = result.alerts_per_s or 0.0
    cpu = result.cpu_s or 0.0
    per_alert = cpu * 1000 / (result.alerts or 1)
    return f"{result.workload:18} {result.server:13} {rate:8.0f} alerts/s  CPU {cpu:5.1f} s  {per_alert:.3f} ms/alert"


def main(rounds: int) -> None:
    receiver, receiver_port = start_receiver()
    try:
        for _ in range(rounds):
            for name, per, conns, dedup in PHASES:
                for start in (lambda: start_alerthub(THROUGHPUT, receiver_port), lambda: start_split(receiver_port)):
                    server = start()
                    try:
                        time.sleep(0.5)
                        print(_line(throughput(server, name, per_request=per, conns=conns, dedup=dedup)), flush=True)
                    finally:
                        server.stop()
    finally:
        receiver.terminate()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--writer"]:
        _writer(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    elif sys.argv[1:2] == ["--front"]:
        _front(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
