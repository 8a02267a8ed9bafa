"""Every rule name the seed guide uses, with the seed's thresholds, so an empty configuration works.

Rules the integrations raise on their own (GA4, heartbeats, failing monitors) are here too, so
that they can be routed, silenced and overridden like any other.
"""

from __future__ import annotations

from datetime import timedelta

from alerthub.domain.rule import Comparison, Rule
from alerthub.domain.severity import Severity

GT, LT = Comparison.GT, Comparison.LT
W, H, C = Severity.WARNING, Severity.HIGH, Severity.CRITICAL


def builtin_rules() -> list[Rule]:
    return _sentry() + _hetrixtools() + _system() + _ga4() + _alerthub()


def _sentry() -> list[Rule]:
    return [
        Rule("sentry_error_rate", "sentry", "error_count", GT, {H: 10, C: 50}, H, builtin=True),
        # The seed's poller counts every error of the last hour and pages above 20, not the webhook's 10.
        Rule("sentry_error_rate_hourly", "sentry", "error_count", GT, {H: 20, C: 50}, H, builtin=True),
        Rule("sentry_performance_issue", "sentry", "slow_transactions", GT, {W: 10}, W, builtin=True),
        Rule("sentry_issue", "sentry", "events", severity=H, builtin=True),
        Rule("sentry_metric_alert", "sentry", "value", severity=H, builtin=True),
    ]


def _hetrixtools() -> list[Rule]:
    return [
        Rule("hetrixtools_uptime", "hetrixtools", "uptime_percentage", LT, {H: 99}, H, builtin=True),
        Rule("hetrixtools_response_time", "hetrixtools", "response_time_ms", GT, {W: 3000}, W, builtin=True),
        Rule("hetrixtools_downtime", "hetrixtools", "uptime", severity=C, builtin=True),
        Rule(
            "hetrixtools_recovery",
            "hetrixtools",
            "uptime",
            severity=Severity.INFO,
            resolves=("hetrixtools_downtime",),
            creates_alerts=False,
            builtin=True,
        ),
        Rule("hetrixtools_blacklist", "hetrixtools", "listed_on", GT, {W: 0}, W, builtin=True),
    ]


def _system() -> list[Rule]:
    return [
        Rule(
            "system_cpu_high",
            "system",
            "cpu_percent",
            GT,
            {H: 80},
            H,
            for_=timedelta(minutes=2),
            builtin=True,
        ),
        Rule("system_memory_high", "system", "memory_percent", GT, {H: 90}, H, builtin=True),
        Rule("system_disk_high", "system", "disk_percent", GT, {H: 90}, H, builtin=True),
        Rule("system_network_error", "system", "error_packets", GT, {W: 100}, W, builtin=True),
        Rule(
            "system_load_high",
            "system",
            "load_per_cpu",
            GT,
            {W: 2},
            W,
            for_=timedelta(minutes=5),
            builtin=True,
        ),
    ]


def _ga4() -> list[Rule]:
    return [
        Rule("ga4_traffic_spike", "ga4", "ratio_to_baseline", GT, {W: 3, H: 5}, W, builtin=True),
        Rule("ga4_traffic_drop", "ga4", "ratio_to_baseline", LT, {W: 0.5, H: 0.2}, W, builtin=True),
        Rule("ga4_error_pages", "ga4", "error_page_views", GT, {W: 20, H: 100}, W, builtin=True),
        # Users now against half the usual hour's users (realtime counts 30 minutes): see sources/ga4_signals.py.
        Rule("ga4_active_users_spike", "ga4", "ratio_to_baseline", GT, {W: 3, H: 5}, W, builtin=True),
        Rule("ga4_active_users_drop", "ga4", "ratio_to_baseline", LT, {W: 0.5, H: 0.2}, W, builtin=True),
        # Each event in integrations.ga4.events, counted over the last 30 minutes (label `event`).
        Rule("ga4_event_count", "ga4", "event_count", GT, {W: 20, H: 100}, W, builtin=True),
    ]


def _alerthub() -> list[Rule]:
    return [
        Rule("heartbeat_missing", "alerthub", "seconds_overdue", severity=H, builtin=True),
        Rule("alerthub_monitor_failing", "alerthub", "consecutive_failures", severity=W, builtin=True),
    ]
