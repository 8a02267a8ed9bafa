"""The workloads. Each starts from a fresh server, so peak RSS and CPU belong to that workload alone."""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from servers import Server

HERE = Path(__file__).resolve().parent
SECONDS = 12
DEDUP_IDENTITIES = 5000


@dataclass
class Result:
    workload: str
    server: str
    alerts_per_s: float | None = None
    req_p50_ms: float | None = None
    req_p99_ms: float | None = None
    notify_p50_ms: float | None = None
    notify_p99_ms: float | None = None
    notify_max_ms: float | None = None
    cpu_s: float | None = None
    peak_rss_mb: float | None = None
    loadgen_cores: float | None = None
    note: str = ""
    db_cpu_s: float | None = None  # the database server's own, where it runs apart (PostgreSQL)
    alerts: int | None = None  # sent and answered 2xx in the measured part


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run_child(args: list[str]) -> tuple[str, float]:
    """Run a load generator to completion; return its stdout and the CPU seconds it used."""
    before = _child_cpu()
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout, _child_cpu() - before


def send(
    server: Server,
    tag: str,
    count: int,
    *,
    batch: int = 1,
    rate: float = 0,
    conns: int = 8,
    groups: int = 0,
    start: int = 0,
) -> tuple[dict[str, object], float]:
    args = [
        sys.executable,
        str(HERE / "sender.py"),
        "--port",
        str(server.port),
        "--tag",
        tag,
        "--count",
        str(count),
        "--batch",
        str(batch),
        "--rate",
        str(rate),
        "--conns",
        str(conns),
        "--groups",
        str(groups),
        "--start",
        str(start),
    ]
    out, cpu = _run_child(args)
    result: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return result, cpu


def throughput(server: Server, name: str, *, per_request: int, conns: int, dedup: bool) -> Result:
    tag = "dd" if dedup else "new"
    if dedup:
        # Prime: every identity exists and is open before the clock starts.
        primed, _ = send(server, tag, DEDUP_IDENTITIES, batch=100, conns=4)
        if set(primed["statuses"]) != {"200"}:  # type: ignore[arg-type]
            raise RuntimeError(f"priming failed on {server.name}: {primed['statuses']}")
    server.mark()
    wall = time.monotonic()
    out, cpu = _run_child(
        [
            "wrk",
            "-t1",
            f"-c{conns}",
            f"-d{SECONDS}s",
            "--latency",
            "-s",
            str(HERE / "wrk" / "alerts.lua"),
            f"{server.base}/api/v2/alerts",
            "--",
            str(per_request),
            "dedup" if dedup else "new",
            str(DEDUP_IDENTITIES),
            tag,
        ]
    )
    wall = time.monotonic() - wall
    line = next(x for x in out.splitlines() if x.startswith("BENCH_JSON "))
    w = json.loads(line.removeprefix("BENCH_JSON "))
    ok = w["requests"] - w["status_errors"]
    note = (
        f"{w['status_errors']} non-2xx, {w['socket_errors']} socket errors"
        if w["status_errors"] or w["socket_errors"]
        else ""
    )
    return Result(
        workload=name,
        server=server.name,
        alerts_per_s=ok * per_request / (w["duration_us"] / 1e6),
        alerts=ok * per_request,
        req_p50_ms=w["p50_us"] / 1000,
        req_p99_ms=w["p99_us"] / 1000,
        cpu_s=server.cpu_since_mark(),
        db_cpu_s=server.db_cpu_since_mark(),
        peak_rss_mb=server.peak_rss_mb(),
        loadgen_cores=cpu / wall,
        note=note,
    )


def _arrivals(receiver_port: int, tag: str) -> dict[str, object]:
    with urllib.request.urlopen(f"http://127.0.0.1:{receiver_port}/arrivals/{tag}", timeout=10) as answer:
        data: dict[str, object] = json.loads(answer.read())
        return data


def _wait_for(
    receiver_port: int,
    tag: str,
    count: int,
    timeout: float,
    done: Callable[[dict[str, list[float]]], bool] | None = None,
) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while True:
        data = _arrivals(receiver_port, tag)
        ids: dict[str, list[float]] = data["ids"]  # type: ignore[assignment]
        if len(ids) >= count or time.monotonic() > deadline:
            return data
        time.sleep(0.2)


def _sender_note(sent: dict[str, object]) -> str:
    """What the sender met besides 200s: alerts it could not hand over are not the server's to notify."""
    statuses = sent["statuses"]
    note = "" if set(statuses) == {"200"} else f", statuses {statuses}"  # type: ignore[arg-type]
    return note + (f", {sent['reconnects']} requests sent again on a new connection" if sent.get("reconnects") else "")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def end_to_end(server: Server, name: str, receiver_port: int, *, rate: int, count: int = 1000) -> Result:
    tag = f"e{rate}{server.name[:2]}{int(time.time()) % 100000}"
    server.mark()
    sent, cpu = send(server, tag, count, rate=rate)
    data = _wait_for(receiver_port, tag, count, timeout=20)
    time.sleep(2.5)  # longer than group_interval: a duplicate would have arrived by now
    data = _arrivals(receiver_port, tag)
    ids: dict[str, list[float]] = data["ids"]  # type: ignore[assignment]
    sent_at: dict[str, float] = sent["sent_at"]  # type: ignore[assignment]
    latencies = [min(ids[n]) - t for n, t in sent_at.items() if n in ids]
    once = sum(1 for n in sent_at if len(ids.get(n, [])) == 1)
    missing = sum(1 for n in sent_at if n not in ids)
    extra = sum(len(t) - 1 for t in ids.values() if len(t) > 1)
    req: list[float] = sent["latencies"]  # type: ignore[assignment]
    note = (
        f"exactly once {once}/{count}"
        + (f", {missing} missing" if missing else "")
        + (f", {extra} duplicates" if extra else "")
    )
    note += _sender_note(sent)
    return Result(
        workload=name,
        server=server.name,
        alerts_per_s=count / float(sent["elapsed"]),  # type: ignore[arg-type]
        alerts=count,
        req_p50_ms=statistics.median(req) * 1000,
        req_p99_ms=_pct(req, 0.99) * 1000,
        notify_p50_ms=_pct(latencies, 0.5) * 1000 if latencies else None,
        notify_p99_ms=_pct(latencies, 0.99) * 1000 if latencies else None,
        notify_max_ms=max(latencies) * 1000 if latencies else None,
        cpu_s=server.cpu_since_mark(),
        db_cpu_s=server.db_cpu_since_mark(),
        peak_rss_mb=server.peak_rss_mb(),
        loadgen_cores=cpu / float(sent["elapsed"]),
        note=note,  # type: ignore[arg-type]
    )


def storm(server: Server, name: str, receiver_port: int, *, count: int = 10_000, seconds: int = 10) -> Result:
    """An outage: every alert lands in one of 100 service groups; time to the last notification."""
    tag = f"s{server.name[:2]}{int(time.time()) % 100000}"
    server.mark()
    sent, cpu = send(server, tag, count, batch=10, rate=count / seconds, groups=100)
    data = _wait_for(receiver_port, tag, count, timeout=30)
    ids: dict[str, list[float]] = data["ids"]  # type: ignore[assignment]
    started = float(sent["started"])  # type: ignore[arg-type]
    firsts = [min(t) for t in ids.values()]
    last = (max(firsts) - started) if len(ids) >= count else None
    req: list[float] = sent["latencies"]  # type: ignore[assignment]
    note = f"{data['notifications']} notifications, {len(ids)}/{count} alerts covered" + _sender_note(sent)
    return Result(
        workload=name,
        server=server.name,
        alerts_per_s=count / float(sent["elapsed"]),  # type: ignore[arg-type]
        alerts=count,
        req_p50_ms=statistics.median(req) * 1000,
        req_p99_ms=_pct(req, 0.99) * 1000,
        notify_max_ms=last * 1000 if last is not None else None,
        cpu_s=server.cpu_since_mark(),
        db_cpu_s=server.db_cpu_since_mark(),
        peak_rss_mb=server.peak_rss_mb(),
        loadgen_cores=cpu / float(sent["elapsed"]),
        note=note,  # type: ignore[arg-type]
    )


def listing(server: Server, name: str, *, open_alerts: int = 100_000, samples: int = 200) -> Result:
    """With this many open alerts stored, how fast the first page of firing alerts comes back."""
    loaded, _ = send(server, "lst", open_alerts, batch=1000, conns=2)
    url = f"{server.base}/api/alerts?state=firing&limit=100"
    timings = []
    for _ in range(samples):
        started = time.perf_counter()
        with urllib.request.urlopen(url, timeout=10) as answer:
            answer.read()
        timings.append(time.perf_counter() - started)
    return Result(
        workload=name,
        server=server.name,
        alerts_per_s=open_alerts / float(loaded["elapsed"]),  # type: ignore[arg-type]
        req_p50_ms=_pct(timings, 0.5) * 1000,
        req_p99_ms=_pct(timings, 0.99) * 1000,
        peak_rss_mb=server.peak_rss_mb(),
        note=f"GET p95 {_pct(timings, 0.95) * 1000:.1f} ms",
    )
