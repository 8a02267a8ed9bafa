"""The side-by-side table, the targets, and bench/RESULTS.md."""

from __future__ import annotations

import datetime as dt
import os
import platform
import sqlite3
import subprocess
from pathlib import Path

from phases import Result

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
PROMISE = (
    "Different promises: Alertmanager keeps alerts in memory only (a crash loses what it was told); "
    "alerthub answers 2xx only after the alerts and their history are committed to the database "
    "(SQLite WAL with synchronous=NORMAL: survives a process kill; PostgreSQL: survives an OS crash)."
)


def _num(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}" if value >= 100 else f"{value:,.{digits}f}"


def _pair(a: float | None, b: float | None, *, ratio: bool = True) -> str:
    text = f"{_num(a)} / {_num(b)}"
    if ratio and a is not None and b:
        text += f" ({a / b:.2f}x)"
    return text


def _by(results: list[Result], server: str) -> dict[str, Result]:
    return {r.workload: r for r in results if r.server == server}


def table(results: list[Result], ours: str) -> list[str]:
    ah, am = _by(results, ours), _by(results, "alertmanager")
    lines = [
        f"| workload | alerts/s {ours} / AM (ratio) | req p50 ms | req p99 ms | notify p50 ms | notify p99 ms "
        "| notify max ms | CPU s | peak RSS MB | load gen cores | notes |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, a in ah.items():
        b = am.get(name, Result(name, "alertmanager"))
        gen = max(x for x in (a.loadgen_cores, b.loadgen_cores, 0.0) if x is not None)
        flag = " ⚠ load generator ≥ 1 core" if gen >= 1 else ""
        notes = "; ".join(x for x in (f"{ours}: {a.note}" if a.note else "", f"AM: {b.note}" if b.note else "") if x)
        lines.append(
            f"| {name} | {_pair(a.alerts_per_s, b.alerts_per_s)} | {_pair(a.req_p50_ms, b.req_p50_ms, ratio=False)} "
            f"| {_pair(a.req_p99_ms, b.req_p99_ms)} | {_pair(a.notify_p50_ms, b.notify_p50_ms, ratio=False)} "
            f"| {_pair(a.notify_p99_ms, b.notify_p99_ms)} | {_pair(a.notify_max_ms, b.notify_max_ms)} "
            f"| {_pair(a.cpu_s, b.cpu_s)} | {_pair(a.peak_rss_mb, b.peak_rss_mb)} | {gen:.2f}{flag} | {notes} |"
        )
    return lines


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _mark(ok: bool | None) -> str:
    return "–  not measured" if ok is None else ("met" if ok else "NOT met")


def targets(results: list[Result], idle: dict[str, float]) -> list[str]:
    ah, am = _by(results, "alerthub"), _by(results, "alertmanager")
    lines = []

    def ratio_target(label: str, names: list[str], at_least: float) -> None:
        ratios = [_ratio(ah[n].alerts_per_s, am[n].alerts_per_s) for n in names if n in ah and n in am]
        got = [r for r in ratios if r is not None]
        ok = (min(got) >= at_least) if got else None
        shown = ", ".join(f"{r:.2f}x" for r in got)
        lines.append(f"- {label} >= {at_least}x Alertmanager: {shown or '–'} — **{_mark(ok)}**")

    ratio_target("Ingest 100/req new", ["new 100/req c16", "new 100/req c64"], 1.0)
    ratio_target("Ingest 1/req new", ["new 1/req c16", "new 1/req c64"], 0.5)
    ratio_target("Dedup path 1/req and 100/req", [n for n in ah if n.startswith("dedup")], 0.5)
    for name in ("e2e 200/s", "e2e 1000/s"):
        if name in ah and name in am:
            r = _ratio(ah[name].notify_p99_ms, am[name].notify_p99_ms)
            once = "exactly once 1000/1000" in ah[name].note and "missing" not in ah[name].note
            ok = r is not None and r <= 2 and once
            lines.append(f"- {name}: notify p99 {_num(r, 2)}x AM (<= 2x), {ah[name].note} — **{_mark(ok)}**")
    name = "storm 10k/100 svc"
    if name in ah and name in am:
        a, b = ah[name].notify_max_ms, am[name].notify_max_ms
        ok = a is not None and b is not None and a <= b
        lines.append(f"- Storm, time to last grouped notification {_num(a)} ms vs {_num(b)} ms — **{_mark(ok)}**")
    news = [n for n in ah if n.startswith("new") and n in am]
    rss = [_ratio(ah[n].peak_rss_mb, am[n].peak_rss_mb) for n in news]
    worst = max((r for r in rss if r is not None), default=None)
    lines.append(
        f"- Peak RSS in new-alert ingest <= 0.25x AM: worst {_num(worst, 2)}x — **"
        f"{_mark(None if worst is None else worst <= 0.25)}**"
    )
    idle_mb = idle.get("alerthub")
    lines.append(f"- Idle RSS < 150 MB: {_num(idle_mb)} MB — **{_mark(None if idle_mb is None else idle_mb < 150)}**")
    listed = ah.get("list 100k open")
    p95 = float(listed.note.split()[2]) if listed else None
    lines.append(
        f"- 100,000 open alerts, GET /api/alerts?state=firing&limit=100 p95 < 50 ms: {_num(p95)} ms — **"
        f"{_mark(None if p95 is None else p95 < 50)}**"
    )
    return lines


def _cpu_per_thousand(r: Result | None, *, with_db: bool = True) -> float | None:
    if r is None or r.cpu_s is None or not r.alerts:
        return None
    return (r.cpu_s + ((r.db_cpu_s or 0.0) if with_db else 0.0)) / r.alerts * 1000


def postgres_cpu(results: list[Result]) -> list[str]:
    """CPU seconds per 1,000 alerts, SQLite against PostgreSQL, whose server's own CPU counts too."""
    lite, pg = _by(results, "alerthub"), _by(results, "alerthub-pg")
    lines = [
        "| workload | SQLite: alerthub | PostgreSQL: alerthub | PostgreSQL: database | PostgreSQL: both "
        "| both ÷ SQLite |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in pg.items():
        sqlite = _cpu_per_thousand(lite.get(name))
        both = _cpu_per_thousand(r)
        db = r.db_cpu_s / r.alerts * 1000 if r.db_cpu_s is not None and r.alerts else None
        lines.append(
            f"| {name} | {_num(sqlite, 2)} | {_num(_cpu_per_thousand(r, with_db=False), 2)} | {_num(db, 2)} "
            f"| {_num(both, 2)} | {_num(_ratio(both, sqlite), 2)}x |"
        )
    return lines


def instances(results: list[Result]) -> list[str]:
    one, three = _by(results, "alerthub-pg-1i"), _by(results, "alerthub-pg-3i")
    lines = [
        "| workload | alerts/s 3 / 1 instance (ratio) | notify p99 ms 3 / 1 | CPU s 3 / 1 | database CPU s 3 / 1 "
        "| notes |",
        "|---|---|---|---|---|---|",
    ]
    for name, a in three.items():
        b = one.get(name, Result(name, "alerthub-pg-1i"))
        lines.append(
            f"| {name} | {_pair(a.alerts_per_s, b.alerts_per_s)} | {_pair(a.notify_p99_ms, b.notify_p99_ms)} "
            f"| {_pair(a.cpu_s, b.cpu_s)} | {_pair(a.db_cpu_s, b.db_cpu_s)} | 3: {a.note}; 1: {b.note} |"
        )
    return lines


def postgres_targets(results: list[Result]) -> list[str]:
    lite, pg = _by(results, "alerthub"), _by(results, "alerthub-pg")
    ingest = [n for n in pg if n.startswith(("new", "dedup")) and n in lite]
    ratios = [_ratio(_cpu_per_thousand(pg[n]), _cpu_per_thousand(lite[n])) for n in ingest]
    got = [r for r in ratios if r is not None]
    worst = max(got, default=None)
    lines = [
        f"- PostgreSQL CPU per 1,000 alerts (alerthub + database) within 1.5x of SQLite's, ingest: worst "
        f"{_num(worst, 2)}x — **{_mark(None if worst is None else worst <= 1.5)}**"
    ]
    one, three = _by(results, "alerthub-pg-1i"), _by(results, "alerthub-pg-3i")
    name = "new 1/req c16"
    rate = _ratio(three[name].alerts_per_s, one[name].alerts_per_s) if name in one and name in three else None
    lines.append(
        f"- Three instances on one database lose no rate against one ({name}): {_num(rate, 2)}x — **"
        f"{_mark(None if rate is None else rate >= 1.0)}**"
    )
    e2e = three.get("e2e 200/s")
    once = None if e2e is None else ("exactly once 1000/1000" in e2e.note and "missing" not in e2e.note)
    lines.append(
        f"- Three instances, e2e 200/s, each alert notified exactly once: {e2e.note if e2e else '–'} — **"
        f"{_mark(once)}**"
    )
    return lines


def versions(am_binary: str) -> str:
    from alerthub import __version__

    am = subprocess.run([am_binary, "--version"], capture_output=True, text=True, check=False)
    am_version = (am.stdout or am.stderr).split("\n", 1)[0].replace("alertmanager, version ", "")
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    wrk_version = (wrk.stdout or wrk.stderr).split(" [", 1)[0].replace("wrk ", "")
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.machine(),
    )
    return (
        f"alerthub {__version__} (Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}), "
        f"Alertmanager {am_version}, wrk {wrk_version}; nproc {os.cpu_count()}, {cpu}"
    )


def render(results: list[Result], idle: dict[str, float], elapsed: float, am_binary: str) -> str:
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        f"## Run of {when}",
        "",
        versions(am_binary),
        "",
        f"Whole run: {elapsed:.0f} s. Idle RSS after start: "
        + ", ".join(f"{k} {v:.0f} MB" for k, v in idle.items())
        + ".",
        "",
        "Cells read alerthub / Alertmanager (ratio alerthub ÷ Alertmanager).",
        "",
    ]
    out += table(results, "alerthub")
    if any(r.server == "alerthub-pg" for r in results):
        out += ["", "alerthub on PostgreSQL (fresh database) against the same Alertmanager runs:", ""]
        out += table(results, "alerthub-pg")
    if any(r.server == "alerthub-pg" for r in results):
        out += ["", "CPU seconds per 1,000 alerts (PostgreSQL's own processes read from /proc):", ""]
        out += postgres_cpu(results)
    if any(r.server == "alerthub-pg-3i" for r in results):
        out += ["", "Three instances (`serve --workers 3`) against one on the same PostgreSQL database:", ""]
        out += instances(results)
    out += ["", "Targets (alerthub on SQLite):", ""] + targets(results, idle)
    out += ["", "Targets (alerthub on PostgreSQL):", ""] + postgres_targets(results) + ["", PROMISE, ""]
    return "\n".join(out)


def save(text: str) -> None:
    if not RESULTS.exists():
        RESULTS.write_text("# Benchmark results\n\nAppended by `make bench` (bench/run.py), newest last.\n\n")
    with RESULTS.open("a") as f:
        f.write(text + "\n")
