"""What a background loop logs when a pass fails: a database outage briefly, anything else in full."""

from __future__ import annotations

import logging

import pytest

from alerthub.errors import StoreUnavailableError
from alerthub.telemetry import OUTAGE_LOG_EVERY, LoopFailureLog

logger = logging.getLogger("alerthub.test.loop")


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _fail(log: LoopFailureLog, exc: Exception) -> None:
    try:
        raise exc
    except Exception:
        log(extra={"loop": "test"})


def test_a_database_outage_is_one_line_a_minute_without_traceback(caplog: pytest.LogCaptureFixture) -> None:
    clock = _Clock()
    log = LoopFailureLog(logger, "sweeping failed", clock)
    with caplog.at_level(logging.INFO, logger="alerthub.test.loop"):
        for _ in range(30):  # a pass a second for half a minute
            _fail(log, StoreUnavailableError("database unavailable: connection refused"))
            clock.now += 1
        clock.now += OUTAGE_LOG_EVERY
        _fail(log, StoreUnavailableError("database unavailable: connection refused"))
    assert [r.levelno for r in caplog.records] == [logging.WARNING, logging.WARNING]
    first = caplog.records[0]
    assert first.getMessage().startswith("sweeping failed: database unavailable: connection refused")
    assert first.exc_info is None and first.__dict__["loop"] == "test"


def test_any_other_failure_keeps_its_traceback_every_time(caplog: pytest.LogCaptureFixture) -> None:
    log = LoopFailureLog(logger, "sweeping failed", _Clock())
    with caplog.at_level(logging.INFO, logger="alerthub.test.loop"):
        _fail(log, KeyError("group"))
        _fail(log, KeyError("group"))
    assert [r.levelno for r in caplog.records] == [logging.ERROR, logging.ERROR]
    assert all(r.exc_info is not None and r.exc_info[0] is KeyError for r in caplog.records)
