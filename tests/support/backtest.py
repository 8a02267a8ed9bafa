"""The backtest tests' scenario (tests/services/test_backtest.py explains it and its counts): a running
configuration, and nine signals sent through the real ingest from the clock's time on."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from alerthub.domain.signal import Signal, SignalStatus
from alerthub.hub import Hub
from support.clock import FakeClock


def running_config(url: str, **changes: Any) -> dict[str, Any]:
    route = {"receiver": "team", "group_by": ["service"], "group_wait": "30s", "group_interval": "5m"}
    data: dict[str, Any] = {
        "channels": [{"name": "hook", "type": "webhook", "url": f"{url}/hook"}],
        "receivers": [{"name": "team", "channels": ["hook"]}],
        "rules": [
            {"name": "api_down", "severity": "critical"},
            {"name": "db_down", "severity": "critical"},
            {"name": "cpu_high", "thresholds": {"warning": 80}},
        ],
        "route": {**route, "repeat_interval": "4h"},
    }
    return {**data, **changes}


async def fill(hub: Hub, clock: FakeClock) -> None:
    start = clock.now

    async def at(offset: timedelta, *signals: Signal) -> None:
        clock.now = start + offset
        await hub.ingest.ingest(list(signals))

    firing, resolved = SignalStatus.FIRING, SignalStatus.RESOLVED
    await at(timedelta(0), Signal("api_down", "test", labels={"service": "api"}, status=firing))
    await at(timedelta(seconds=45), Signal("api_down", "test", labels={"service": "api"}, status=resolved))
    await at(timedelta(hours=1), Signal("db_down", "test", labels={"service": "db"}, status=firing))
    await at(timedelta(hours=3), Signal("db_down", "test", labels={"service": "db"}, status=resolved))
    for i, value in enumerate((70, 85, 75, 90, 60)):
        await at(timedelta(hours=4, minutes=10 * i), Signal("cpu_high", "test", value=value, labels={"service": "web"}))
    clock.now = start
