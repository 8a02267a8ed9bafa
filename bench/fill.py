"""A year of a busy team's history, bulk-inserted into a migrated SQLite file for bench/prune.py.

Rows look like the ones the hub writes (tests/support/history.py makes them through the real paths):
per alert a firing transition, the route and enqueue decisions and a delivery event; a third of the
alerts acknowledged (transition, decision, delivery); all but the last hours' resolved (transition,
decision, delivery). One notification per group of four alerts when they fire and one when they
resolve, linked to the four. A silence every 5,000 alerts.

SQLite generates the rows itself (`INSERT ... SELECT` over a recursive counter): building 20 million
tuples in Python took most of the time. Secondary indexes are dropped for the fill and built again
after it, as a restore would; the fill runs with the journal off, then the file goes back to WAL.
Timestamps are written as the hub writes them (`YYYY-MM-DD HH:MM:SS.ffffff`, UTC).
"""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

CHUNK = 100_000
YEAR_S = 365 * 86400


def _ts(epoch: str) -> str:
    return f"strftime('%Y-%m-%d %H:%M:%S', {epoch}, 'unixepoch') || '.000000'"


_FIRED = "(:t0 + CAST(i * :step AS INTEGER))"
_SEVERITY = "CASE {m} % 4 WHEN 2 THEN 'high' WHEN 3 THEN 'critical' ELSE 'warning' END"

ALERTS = f"""
WITH RECURSIVE s(i) AS (SELECT :lo UNION ALL SELECT i + 1 FROM s WHERE i < :hi),
t(i, f, a, r) AS (
  SELECT i, {_FIRED}, CASE WHEN i % 3 = 0 THEN {_FIRED} + (4 + i % 11) * 60 END, {_FIRED} + (10 + i % 170) * 60 FROM s
)
INSERT INTO alert (id, fingerprint, rule_name, source, state, severity, value, peak_value, labels, annotations,
  episode, count, first_seen_at, last_seen_at, state_changed_at, acknowledged_by, acknowledged_at, resolved_at, raw)
SELECT i, printf('%064x', i), printf('rule_%02d', i % 60), 'api',
  CASE WHEN r < :now THEN 'resolved' WHEN a < :now THEN 'acknowledged' ELSE 'firing' END,
  {_SEVERITY.format(m="i")}, 97.0, 97.0,
  printf('{{"host":"h%d","service":"svc-%d","n":"%d"}}', i % 5000, i % 100, i),
  printf('{{"summary":"rule_%02d is high"}}', i % 60), 1, 1, {_ts("f")},
  {_ts("CASE WHEN r < :now THEN r ELSE f END")}, {_ts("CASE WHEN r < :now THEN r ELSE f END")},
  CASE WHEN a IS NOT NULL THEN 'kim' END, {_ts("a")}, CASE WHEN r < :now THEN {_ts("r")} END, 'null'
FROM t
"""

# (order, kind, actor, from, to, when: f(ired) a(cknowledged) r(esolved), reason)
_STEPS = [
    (1, "transition", "signal:api", None, "firing", "f", "threshold crossed"),
    (2, "decision", "pipeline:route", None, None, "f", "matched route {}: receiver 'oncall' (discord)"),
    (3, "decision", "pipeline:enqueue", None, None, "f", "first notification: queued for discord"),
    (4, "delivery", "delivery:discord", None, None, "f", "sent"),
    (5, "transition", "user:kim", "firing", "acknowledged", "a", "acknowledged"),
    (6, "decision", "pipeline:acknowledge", None, None, "a", "acknowledged by kim: notice queued for discord"),
    (7, "delivery", "delivery:discord", None, None, "a", "sent"),
    (8, "transition", "signal:api", "firing", "resolved", "r", "the source reported it resolved"),
    (9, "decision", "pipeline:enqueue", None, None, "r", "all alerts resolved: queued for discord"),
    (10, "delivery", "delivery:discord", None, None, "r", "sent"),
]


def _literal(value: object) -> str:
    if value is None:
        return "NULL"
    return str(value) if isinstance(value, int) else "'" + str(value).replace("'", "''") + "'"


_COLUMNS = ("n", "kind", "actor", "fs", "ts", "w", "reason")
_STEP_ROWS = " UNION ALL ".join(
    "SELECT " + ", ".join(f"{_literal(v)} AS {c}" for v, c in zip(s, _COLUMNS, strict=True)) for s in _STEPS
)
EVENTS = f"""
INSERT INTO alert_event (alert_id, episode, kind, at, actor, from_state, to_state, to_severity, value, reason, detail)
SELECT * FROM (
  SELECT a.id, 1, k.kind,
    CASE k.w WHEN 'f' THEN a.first_seen_at WHEN 'a' THEN a.acknowledged_at ELSE a.resolved_at END AS at,
    k.actor, k.fs, k.ts, CASE WHEN k.kind = 'transition' THEN a.severity END,
    CASE WHEN k.kind = 'transition' THEN 97.0 END, k.reason,
    CASE WHEN k.kind = 'decision' THEN printf(
      '{{"receiver":"oncall","channels":["discord"],"group_key":"{{}}:{{service=\\"svc-%d\\"}}"}}', a.id % 100)
      ELSE 'null' END
  FROM alert a, ({_STEP_ROWS}) k
  WHERE a.id BETWEEN :lo AND :hi ORDER BY a.id, k.n
) WHERE at IS NOT NULL
"""


def _snapshot(m: str) -> str:
    return (
        'printf(\'{"id":%d,"fingerprint":"%016x","rule_name":"rule_%02d","state":"%s",'
        '"severity":"%s","value":97,"labels":{"host":"h%d","service":"svc-%d"},'
        '"annotations":{"summary":"rule_%02d is high on h%d"},"source":"api"}\', '
        f"{m}, {m}, {m} % 60, k.st, {_SEVERITY.format(m=m)}, {m} % 5000, i % 100, {m} % 60, {m} % 5000)"
    )


NOTIFICATIONS = f"""
WITH RECURSIVE s(i) AS (SELECT :lo UNION ALL SELECT i + 4 FROM s WHERE i + 4 <= :hi),
g(i, gk, f) AS (SELECT i, printf('{{}}:{{service="svc-%d"}}', i % 100), {_FIRED} FROM s),
k(st, late) AS (SELECT 'firing', 0 UNION ALL SELECT 'resolved', 10800)
INSERT INTO notification (id, idempotency_key, group_key, receiver, channel, kind, status, payload, attempts,
  created_at, next_attempt_at, sent_at, thread_key)
SELECT (i / 4) * 2 - (k.st = 'firing'), printf('%032x-%s', i, k.st), gk, 'oncall', 'discord', k.st, 'sent',
  printf('{{"receiver":"oncall","group_key":"%s","status":"%s","group_labels":{{"service":"svc-%d"}},' ||
         '"alerts":[%s,%s,%s,%s],"external_url":"https://alerts.example.com"}}', replace(gk, '"', '\\"'), k.st,
         i % 100, {_snapshot("i - 3")}, {_snapshot("i - 2")}, {_snapshot("i - 1")}, {_snapshot("i")}),
  1, {_ts("f + k.late")}, {_ts("f + k.late")}, {_ts("f + k.late")}, 'discord:' || gk
FROM g, k WHERE f + k.late < :now ORDER BY i, k.late
"""
LINKS = """
INSERT INTO notification_alert (notification_id, alert_id)
SELECT n.id, ((n.id + 1) / 2) * 4 - d.d FROM notification n, (SELECT 3 AS d UNION ALL SELECT 2 UNION ALL SELECT 1
  UNION ALL SELECT 0) d WHERE n.id BETWEEN :nlo AND :nhi ORDER BY n.id, d.d DESC
"""
SILENCES = f"""
INSERT INTO silence (id, matchers, starts_at, ends_at, created_by, comment, created_at, updated_at, annotations)
SELECT printf('%036d', id), printf('[{{"name":"host","value":"h%d","isRegex":false,"isEqual":true}}]', id % 5000),
  first_seen_at, {_ts("unixepoch(first_seen_at) + 7200")}, 'kim', 'deploy', first_seen_at, first_seen_at, '{{}}'
FROM alert WHERE id BETWEEN :lo AND :hi AND id % 5000 = 0
"""


def fill(path: Path, alerts: int, now: datetime, *, log: bool = True) -> dict[str, float]:
    """Insert `alerts` alerts spread over the year before `now`; returns row counts and seconds."""
    started = time.monotonic()
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-1000000"):
        conn.execute(f"PRAGMA {pragma}")
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        "AND tbl_name IN ('alert', 'alert_event', 'notification', 'notification_alert')"
    ).fetchall()
    for name, _ in indexes:
        conn.execute(f"DROP INDEX {name}")
    t_now = int(now.timestamp())
    params = {"t0": t_now - YEAR_S, "step": YEAR_S / alerts, "now": t_now}
    conn.execute("BEGIN")
    for lo in range(1, alerts + 1, CHUNK):
        hi = min(lo + CHUNK - 1, alerts)
        chunk = {**params, "lo": lo, "hi": hi}
        conn.execute(ALERTS, chunk)
        conn.execute(EVENTS, chunk)
        nlo = (conn.execute("SELECT coalesce(max(id), 0) FROM notification").fetchone()[0]) + 1
        conn.execute(NOTIFICATIONS, {**chunk, "lo": lo + (4 - lo % 4) % 4})
        conn.execute(LINKS, {"nlo": nlo, "nhi": (hi // 4) * 2})
        conn.execute(SILENCES, chunk)
        if log:
            print(f"  {hi:,} alerts in {time.monotonic() - started:.0f}s", flush=True)
    conn.execute("COMMIT")
    inserted = time.monotonic() - started
    for _, sql in indexes:
        conn.execute(sql)
    conn.execute("PRAGMA journal_mode=WAL")
    tables = ("alert", "alert_event", "notification", "notification_alert", "silence")
    counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    conn.close()
    return {**counts, "insert_s": inserted, "total_s": time.monotonic() - started}


if __name__ == "__main__":
    import sys

    print(fill(Path(sys.argv[1]), int(sys.argv[2]), datetime.now(UTC)))
