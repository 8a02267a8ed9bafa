"""/metrics for a server of several worker processes (`server.workers`): one scrape, the whole server.

A scrape reaches whichever worker accepted the connection, and each worker counts only what it did
itself, so its own exposition alone would show a random share of the signals, sends and latencies.
Each worker therefore also answers its raw exposition on a Unix socket of its own, and the worker
being scraped reads its siblings' and merges them into its answer:

* counters, histograms and summaries are summed sample by sample (their `_created` times, which the
  text format carries as gauges of their own: the earliest);
* the process's memory and file descriptors are summed, its start time and the reload gauges take the
  earliest / lowest (one worker whose reload failed makes the server's `..._successful` 0);
* every other gauge is the scraped worker's own: those are read from the shared database at scrape
  time, and a sibling's copy is whatever it read at its last scrape. A gauge family only a sibling has
  (a poller's, where that worker holds the poller's lease) is taken from it.

A sibling that does not answer within `PEER_TIMEOUT` is left out and `alerthub_metrics_workers_missing`
says how many were, so a partial sum is never silent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample

logger = logging.getLogger(__name__)

PEER_TIMEOUT = 2.0
SUMMED_KINDS = frozenset({"counter", "histogram", "summary", "gaugehistogram"})
SUMMED_GAUGES = frozenset({"process_resident_memory_bytes", "process_virtual_memory_bytes", "process_open_fds"})
LOWEST_GAUGES = frozenset(
    {
        "process_start_time_seconds",
        "process_max_fds",
        "alerthub_config_last_reload_successful",
        "alerthub_config_last_reload_success_timestamp_seconds",
    }
)
MISSING = "alerthub_metrics_workers_missing"


class PeerMetrics:
    """This worker's place among the server's workers: its own socket and its siblings'."""

    def __init__(self, own: Path, siblings: Sequence[Path]) -> None:
        self.own = own
        self.siblings = tuple(siblings)

    async def answer_siblings(self, registry: CollectorRegistry) -> asyncio.Server:
        """Serve this worker's raw exposition on its socket until the returned server is closed."""

        async def answer(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError):
                writer.write(generate_latest(registry))
                await writer.drain()
            writer.close()

        return await asyncio.start_unix_server(answer, path=str(self.own))

    async def merged(self, own: bytes) -> bytes:
        answers = await asyncio.gather(*(_read(path) for path in self.siblings))
        peers = [a for a in answers if a is not None]
        return merge(own, peers, missing=len(answers) - len(peers))


async def _read(path: Path) -> bytes | None:
    try:
        async with asyncio.timeout(PEER_TIMEOUT):
            reader, writer = await asyncio.open_unix_connection(str(path))
            try:
                return await reader.read()
            finally:
                writer.close()
    except (OSError, TimeoutError) as exc:
        logger.warning("worker metrics at %s not read: %s", path, exc or type(exc).__name__)
        return None


def merge(own: bytes, peers: Iterable[bytes], *, missing: int = 0) -> bytes:
    """`own`'s exposition with the siblings' folded in as the module docstring says."""
    mine = _families(own)
    theirs = [_families(p) for p in peers]
    for name, family in mine.items():
        _fold(family, [t[name] for t in theirs if name in t])
    for other in theirs:
        for name, family in other.items():
            if name not in mine:
                mine[name] = family
                _fold(family, [t[name] for t in theirs if t is not other and name in t and t[name] is not family])
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Fixed([*mine.values(), _missing(missing)]))
    return generate_latest(registry)


def _families(text: bytes) -> dict[str, Metric]:
    return {f.name: f for f in text_string_to_metric_families(text.decode())}


def _fold(family: Metric, others: list[Metric]) -> None:
    if family.type in SUMMED_KINDS or family.name in SUMMED_GAUGES:
        family.samples = _combined(family.samples, others, sum_values=True)
    elif family.name in LOWEST_GAUGES or family.name.endswith("_created"):
        family.samples = _combined(family.samples, others, sum_values=False)


def _combined(samples: list[Sample], others: list[Metric], *, sum_values: bool) -> list[Sample]:
    key_order: list[tuple[str, tuple[tuple[str, str], ...]]] = []
    values: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for sample in [*samples, *(s for o in others for s in o.samples)]:
        key = (sample.name, tuple(sorted(sample.labels.items())))
        if key not in values:
            key_order.append(key)
            values[key] = sample.value
        elif sum_values and not sample.name.endswith("_created"):
            values[key] += sample.value
        else:
            values[key] = min(values[key], sample.value)
    return [Sample(name, dict(labels), values[(name, labels)]) for name, labels in key_order]


def _missing(count: int) -> Metric:
    family = Metric(MISSING, "Worker processes whose metrics this scrape could not read (0: all are in).", "gauge")
    family.add_sample(MISSING, {}, float(count))
    return family


class _Fixed(Collector):
    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterator[Metric]:
        return iter(self.families)
