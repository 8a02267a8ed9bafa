"""One /metrics for several worker processes: what each kind of metric becomes when their expositions
are merged, and a sibling that does not answer is counted, not silently left out."""

from __future__ import annotations

from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from alerthub.telemetry import Metrics
from alerthub.telemetry_peers import PeerMetrics, merge


def _values(text: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text.decode())
        for s in family.samples
    }


def _one(values: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return values[(name, tuple(sorted(labels.items())))]


def _workers() -> tuple[Metrics, Metrics]:
    own, sibling = Metrics(), Metrics()
    own.signals.labels("sentry").inc(3)
    sibling.signals.labels("sentry").inc(4)
    sibling.signals.labels("hetrixtools").inc(1)
    own.latency.labels("POST", "/api/alerts/send").observe(0.004)
    sibling.latency.labels("POST", "/api/alerts/send").observe(0.2)
    own.store.set({"hook": (2, 1.5)}, {"critical": 7}, 1)
    sibling.store.set({"hook": (90, 600.0)}, {"critical": 1}, 0)  # read at its last scrape: stale
    sibling.reload_ok.set(0)
    return own, sibling


def test_counts_are_summed_and_database_gauges_are_the_scraped_workers_own() -> None:
    own, sibling = _workers()
    values = _values(merge(own.render({"firing": 7}), [sibling.render({"firing": 1})]))

    assert _one(values, "alerthub_signals_received_total", source="sentry") == 7
    assert _one(values, "alerthub_signals_received_total", source="hetrixtools") == 1
    route = {"route": "/api/alerts/send", "method": "POST"}
    assert _one(values, "alerthub_request_duration_seconds_count", **route) == 2
    assert _one(values, "alerthub_request_duration_seconds_bucket", le="0.005", **route) == 1
    assert _one(values, "alerthub_alerts", state="firing") == 7
    assert _one(values, "alerthub_outbox_backlog", channel="hook") == 2
    assert _one(values, "alerthub_open_alerts", severity="critical") == 7
    # One worker whose reload failed makes the server's reload unsuccessful.
    assert _one(values, "alerthub_config_last_reload_successful") == 0
    assert _one(values, "alerthub_metrics_workers_missing") == 0


def test_memory_is_summed_and_the_start_is_the_earliest() -> None:
    own, sibling = _workers()
    own_text, sibling_text = own.render({}), sibling.render({})
    alone = _values(own_text)
    merged = _values(merge(own_text, [sibling_text]))
    sibling_alone = _values(sibling_text)
    memory = ("process_resident_memory_bytes", ())
    assert merged[memory] == alone[memory] + sibling_alone[memory]
    start = ("process_start_time_seconds", ())
    assert merged[start] == min(alone[start], sibling_alone[start])


async def test_a_silent_sibling_is_reported_missing(tmp_path: Path) -> None:
    own, sibling = _workers()
    answering = PeerMetrics(tmp_path / "1.sock", [])
    server = await answering.answer_siblings(sibling.registry)
    try:
        scraped = PeerMetrics(tmp_path / "0.sock", [tmp_path / "1.sock", tmp_path / "gone.sock"])
        values = _values(await scraped.merged(own.render({})))
    finally:
        server.close()
        await server.wait_closed()
    assert _one(values, "alerthub_signals_received_total", source="sentry") == 7
    assert _one(values, "alerthub_metrics_workers_missing") == 1
