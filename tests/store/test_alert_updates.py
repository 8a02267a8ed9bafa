"""Saving a known alert writes the columns that changed and leaves the rest as they were."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from alerthub.domain.alert import Alert, AlertChange, AlertState
from alerthub.domain.severity import Severity
from alerthub.store import alerts as alert_store
from alerthub.store.database import Database

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def _alert(n: int) -> Alert:
    return Alert(
        id=None, fingerprint=f"fp{n}", rule_name="Load", source="alertmanager", state=AlertState.FIRING,
        severity=Severity.WARNING, value=1.0, peak_value=1.0, labels={"instance": f"i{n}"},
        annotations={"summary": "s"}, episode=1, count=1, first_seen=NOW, last_seen=NOW, state_changed_at=NOW,
        raw={"labels": {"instance": f"i{n}"}},
    )  # fmt: skip


async def _load(db: Database, fps: list[str]) -> dict[str, Alert]:
    async with db.read() as conn:
        return await alert_store.load_by_fingerprints(conn, fps)


async def test_resent_and_changed_alerts_are_written_whatever_columns_changed(db: Database) -> None:
    async with db.write() as conn:
        await alert_store.save_changes(conn, [AlertChange(None, _alert(n), ()) for n in range(3)])
    stored = await _load(db, ["fp0", "fp1", "fp2"])
    later = NOW + timedelta(minutes=1)
    resent = replace(stored["fp0"], count=2, last_seen=later)
    escalated = replace(stored["fp1"], severity=Severity.CRITICAL, labels={"instance": "i1", "x": "y"}, value=9.0)
    untouched = stored["fp2"]
    async with db.write() as conn:
        await alert_store.save_changes(
            conn,
            [
                AlertChange(stored["fp0"], resent, ()),
                AlertChange(stored["fp1"], escalated, ()),
                AlertChange(untouched, untouched, ()),
            ],
        )
    after = await _load(db, ["fp0", "fp1", "fp2"])
    assert after["fp0"] == resent
    assert after["fp1"] == escalated
    assert after["fp2"] == untouched


async def test_a_change_without_its_before_writes_every_column(db: Database) -> None:
    async with db.write() as conn:
        await alert_store.save_changes(conn, [AlertChange(None, _alert(0), ())])
    stored = (await _load(db, ["fp0"]))["fp0"]
    rewritten = replace(stored, annotations={"summary": "new"}, state=AlertState.RESOLVED, resolved_at=NOW)
    async with db.write() as conn:
        await alert_store.save_changes(conn, [AlertChange(None, rewritten, ())])
    assert (await _load(db, ["fp0"]))["fp0"] == rewritten
