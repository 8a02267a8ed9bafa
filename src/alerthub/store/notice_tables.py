"""What the notices beyond alerts need to remember: what a mute held back until its summary is sent, and
which silence warnings and noise reports went out (each once, however many instances run)."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table

from alerthub.store.metadata import metadata
from alerthub.store.types import Id, UtcDateTime

# One alert episode a group's flush held back by a silence or a time interval (`cause`, as
# `alert_group_member.muted_by` says it), for a route that summarises that mute when it ends
# (services/mute_summaries.py). The summary deletes the rows it reports.
mute_log = Table(
    "mute_log",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("receiver", String(200), nullable=False),
    Column("route_path", String(500), nullable=False),
    Column("group_key", String(500), nullable=False),
    Column("cause", String(300), nullable=False),
    Column("alert_id", Id, ForeignKey("alert.id", ondelete="CASCADE"), nullable=False),
    Column("episode", Integer, nullable=False),
    Column("muted_at", UtcDateTime, nullable=False),
    Index("ix_mute_log_group_key_cause_alert_id_episode", "group_key", "cause", "alert_id", "episode", unique=True),
)

# That a silence's coming end (an occurrence's, for a recurring one) was warned about on a route: the
# warning goes out once, however many passes or instances see it due.
silence_warning = Table(
    "silence_warning",
    metadata,
    Column("silence_id", String(36), ForeignKey("silence.id", ondelete="CASCADE"), primary_key=True),
    Column("ends_at", UtcDateTime, primary_key=True),
    Column("route_path", String(500), primary_key=True),
    Column("warned_at", UtcDateTime, nullable=False),
)

# That a receiver's noise report for the week ending `period_end` went out.
noise_report = Table(
    "noise_report",
    metadata,
    Column("receiver", String(200), primary_key=True),
    Column("period_end", UtcDateTime, primary_key=True),
    Column("sent_at", UtcDateTime, nullable=False),
)
