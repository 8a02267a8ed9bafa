"""Every table (the on-call ones are declared in oncall_tables.py, the notices' in notice_tables.py).
Singular snake_case names; timestamps end in `_at` and are UTC."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, Float, ForeignKey, Index, Integer, String, Table, Text, text

from alerthub.store.metadata import metadata
from alerthub.store.notice_tables import mute_log, noise_report, silence_warning
from alerthub.store.oncall_tables import escalation, handoff, schedule_override
from alerthub.store.types import Id, Json, UtcDateTime

alert = Table(
    "alert",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("fingerprint", String(64), nullable=False, unique=True),
    Column("rule_name", String(200), nullable=False),
    Column("source", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("value", Float),
    Column("peak_value", Float),
    Column("labels", Json, nullable=False),
    Column("annotations", Json, nullable=False),
    Column("episode", Integer, nullable=False),
    Column("count", Integer, nullable=False),
    Column("first_seen_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    Column("state_changed_at", UtcDateTime, nullable=False),
    Column("pending_since", UtcDateTime),
    Column("clear_since", UtcDateTime),
    Column("ends_at", UtcDateTime),
    Column("acknowledged_by", String(200)),
    Column("acknowledged_at", UtcDateTime),
    Column("resolved_at", UtcDateTime),
    Column("raw", Json),
    # Flapping (domain/flapping.py): since when (queried by the sweeper and `?flapping=true`), and the
    # recent changes and last spell's end as {"changes": [...], "settled_at": ...}.
    Column("flapping_since", UtcDateTime),
    Column("flap", Json),
    Index("ix_alert_state_last_seen_at", "state", "last_seen_at"),
    Index("ix_alert_rule_name", "rule_name"),
    Index("ix_alert_last_seen_at", "last_seen_at"),
    # Retention finds the alerts resolved before its cut-off without walking every resolved one.
    Index("ix_alert_state_resolved_at", "state", "resolved_at"),
    Index("ix_alert_flapping_since", "flapping_since"),
)

alert_event = Table(
    "alert_event",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("alert_id", Id, ForeignKey("alert.id", ondelete="CASCADE"), nullable=False),
    Column("episode", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("from_state", String(16)),
    Column("to_state", String(16)),
    Column("from_severity", String(16)),
    Column("to_severity", String(16)),
    Column("value", Float),
    Column("reason", Text, nullable=False, server_default=""),
    Column("detail", Json),
    Index("ix_alert_event_alert_id_id", "alert_id", "id"),
    Index("ix_alert_event_at", "at"),
)

silence = Table(
    "silence",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("matchers", Json, nullable=False),
    Column("starts_at", UtcDateTime, nullable=False),
    Column("ends_at", UtcDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("comment", Text, nullable=False, server_default=""),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("annotations", Json, nullable=False, server_default=text("'{}'")),
    Column("recurrence", Json),  # {"rrule", "duration_seconds", "time_zone"}: a recurring silence
    Index("ix_silence_ends_at", "ends_at"),
)

# One row per (route, group labels): the aggregation group's timers, owned through a lease so that
# with several instances exactly one flushes it.
alert_group = Table(
    "alert_group",
    metadata,
    Column("group_key", String(500), primary_key=True),
    Column("receiver", String(200), nullable=False),
    Column("route_path", String(500), nullable=False),
    Column("group_labels", Json, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("flush_at", UtcDateTime),
    Column("last_flush_at", UtcDateTime),
    Column("last_notified", Json),
    Column("lease_owner", String(100)),
    Column("lease_until", UtcDateTime),
    Index("ix_alert_group_flush_at", "flush_at"),
)

# Which alerts a group holds, and what its last notification said about each: dedup compares against it.
alert_group_member = Table(
    "alert_group_member",
    metadata,
    Column("group_key", String(500), primary_key=True),
    Column("alert_id", Id, ForeignKey("alert.id", ondelete="CASCADE"), primary_key=True),
    Column("joined_at", UtcDateTime, nullable=False),
    Column("notified_state", String(16)),
    Column("notified_severity", String(16)),
    Column("notified_at", UtcDateTime),
    Column("muted_by", Text),
    Index("ix_alert_group_member_alert_id", "alert_id"),
)

# The outbox: a notification is written in the transaction that caused it, before any send.
notification = Table(
    "notification",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("idempotency_key", String(100), nullable=False, unique=True),
    Column("group_key", String(500), nullable=False),
    Column("receiver", String(200), nullable=False),
    Column("channel", String(100), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("status", String(16), nullable=False),
    Column("payload", Json, nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("created_at", UtcDateTime, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("claimed_by", String(100)),
    Column("claimed_until", UtcDateTime),
    Column("last_error", Text),
    Column("sent_at", UtcDateTime),
    Column("external_id", String(300)),
    Column("thread_key", String(300)),
    # Set on rows merged into a digest: the digest row's id; their outcome follows the digest's.
    Column("merged_into", Id),
    Index("ix_notification_status_next_attempt_at", "status", "next_attempt_at"),
    Index("ix_notification_created_at", "created_at"),
)

notification_alert = Table(
    "notification_alert",
    metadata,
    Column("notification_id", Id, ForeignKey("notification.id", ondelete="CASCADE"), primary_key=True),
    Column("alert_id", Id, ForeignKey("alert.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_notification_alert_alert_id", "alert_id"),
)

# Provider message ids per (alert, channel), so an update edits or threads instead of posting anew.
message_thread = Table(
    "message_thread",
    metadata,
    Column("thread_key", String(300), primary_key=True),
    Column("channel", String(100), nullable=False),
    Column("external_id", String(300), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

channel_state = Table(
    "channel_state",
    metadata,
    Column("channel", String(100), primary_key=True),
    Column("last_success_at", UtcDateTime),
    Column("last_failure_at", UtcDateTime),
    Column("last_error", Text),
    Column("failing_since", UtcDateTime),
    Column("paused_until", UtcDateTime),
)

api_token = Table(
    "api_token",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("scope", String(16), nullable=False),
    Column("token_hash", String(128), nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_used_at", UtcDateTime),
    Column("revoked_at", UtcDateTime),
)

app_user = Table(
    "app_user",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("password_hash", String(300), nullable=False),
    Column("is_admin", Boolean, nullable=False, server_default=text("true")),
    Column("created_at", UtcDateTime, nullable=False),
)

# A logged-in browser: the cookie carries a random session id, only its SHA-256 is stored. A row makes a
# session revocable (logout, `users remove`) on every instance sharing the database, and lets an idle one
# expire. Removing the user removes their rows (the cascade, and explicitly in the same transaction).
user_session = Table(
    "user_session",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_id", Id, ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
    Index("ix_user_session_user_id", "user_id"),
    Index("ix_user_session_expires_at", "expires_at"),
)

# Small named values the hub generates once per database, e.g. the session-signing secret when
# `auth.session_secret` is not configured (so every instance sharing the database signs alike).
app_setting = Table(
    "app_setting",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("value", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

monitor_state = Table(
    "monitor_state",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("kind", String(64), nullable=False),
    Column("last_run_at", UtcDateTime),
    Column("last_success_at", UtcDateTime),
    Column("last_error", Text),
    Column("last_error_at", UtcDateTime),
    Column("next_run_at", UtcDateTime),
    Column("consecutive_failures", Integer, nullable=False, server_default=text("0")),
    Column("cursor", Json),
)

heartbeat = Table(
    "heartbeat",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("expect_every_s", Float, nullable=False),
    Column("grace_s", Float, nullable=False, server_default=text("0")),
    Column("labels", Json, nullable=False),
    Column("last_ping_at", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
)

# What pruned alerts contributed to the overview, per UTC day of the firing, rule and severity: the raw
# events of an alert go with it, these sums stay. A row only ever counts pruned rows, so the overview
# adds them to what the raw events still say, and nothing is counted twice.
daily_rule_stats = Table(
    "daily_rule_stats",
    metadata,
    Column("day", Date, primary_key=True),
    Column("rule_name", String(200), primary_key=True),
    Column("severity", String(16), primary_key=True),
    # Transitions to firing that day, and the distinct alerts behind them.
    Column("firings", Integer, nullable=False, server_default=text("0")),
    Column("alerts", Integer, nullable=False, server_default=text("0")),
    # Episodes whose first firing was that day: how many, how many were acknowledged or resolved, and
    # the seconds from firing to each (sums and how many spans they add up, for the means).
    Column("episodes", Integer, nullable=False, server_default=text("0")),
    Column("acknowledged", Integer, nullable=False, server_default=text("0")),
    Column("ack_seconds", Float, nullable=False, server_default=text("0")),
    Column("ack_timed", Integer, nullable=False, server_default=text("0")),
    Column("resolved", Integer, nullable=False, server_default=text("0")),
    Column("resolve_seconds", Float, nullable=False, server_default=text("0")),
    Column("resolve_timed", Integer, nullable=False, server_default=text("0")),
)

# Every signal ingest accepted, as the rules saw it, kept `storage.retention.signals` (store/signal_log.py).
signal_log = Table(
    "signal_log",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("received_at", UtcDateTime, nullable=False),
    Column("rule_name", String(200), nullable=False),
    Column("source", String(64), nullable=False),
    Column("value", Float),
    Column("status", String(16)),
    Column("severity", String(16)),
    Column("labels", Json, nullable=False),
    Column("identity", Json),  # the label names that identify the alert; null: all of them
    Column("observed_at", UtcDateTime),
    Column("ends_at", UtcDateTime),
    Column("passthrough", Boolean, nullable=False),
    Index("ix_signal_log_received_at", "received_at"),  # arrival order (one ingest transaction: one time)
    Index("ix_signal_log_source_received_at", "source", "received_at"),  # each source's last signal, on /monitors
)

# Generic expiring ownership (a poller, the group flusher, an instance): PostgreSQL is the coordinator.
lease = Table(
    "lease",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("owner", String(100), nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
)

# Kept in their own modules, named here too.
__all__ = ["escalation", "handoff", "metadata", "mute_log", "noise_report", "schedule_override", "silence_warning"]
