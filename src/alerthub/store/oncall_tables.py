"""The on-call tables: overrides set at run time, the escalations running, the handoff messages sent."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text

from alerthub.store.metadata import metadata
from alerthub.store.types import Id, UtcDateTime

# Someone on call in a schedule's place for a while, set at run time; the schedules are in the config.
schedule_override = Table(
    "schedule_override",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("schedule", String(100), nullable=False),
    Column("person", String(100), nullable=False),
    Column("starts_at", UtcDateTime, nullable=False),
    Column("ends_at", UtcDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_schedule_override_schedule_ends_at", "schedule", "ends_at"),
)

# One alert episode's run through an escalation policy for one receiver (services/escalator.py).
# (`cycle_no`, `round_no`, `step_no`) is the next step: an instance takes it by compare-and-set.
escalation = Table(
    "escalation",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("alert_id", Id, ForeignKey("alert.id", ondelete="CASCADE"), nullable=False),
    Column("episode", Integer, nullable=False),
    Column("receiver", String(200), nullable=False),
    Column("policy", String(100), nullable=False),
    Column("state", String(16), nullable=False),
    Column("cycle_no", Integer, nullable=False),
    Column("round_no", Integer, nullable=False),
    Column("step_no", Integer, nullable=False),
    Column("next_at", UtcDateTime),
    Column("started_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("note", Text, nullable=False),
    # Everyone paged so far, as `,alice,bob,`: "paged to me" is one LIKE on both back ends.
    Column("paged", Text, nullable=False),
    Index("ix_escalation_alert_id_episode_receiver", "alert_id", "episode", "receiver", unique=True),
    Index("ix_escalation_state_next_at", "state", "next_at"),
)

# That the person coming on call for a schedule at `starts_at` was sent their handoff message
# (services/handoffs.py): written in the transaction that queues it, so it goes out once however many
# instances or restarts see the shift start.
handoff = Table(
    "handoff",
    metadata,
    Column("schedule", String(100), primary_key=True),
    Column("starts_at", UtcDateTime, primary_key=True),
    Column("person", String(100), primary_key=True),
    Column("sent_at", UtcDateTime, nullable=False),
)
