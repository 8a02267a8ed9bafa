"""The notification pipeline, in Alertmanager's order: route → group → inhibit → time windows →
silences → dedup → enqueue (outbox rows written in the transaction that decided them).

Other boxes use `wire_pipeline` (the composition root), the matchers (silences) and the route tester's
building blocks; everything else is internal."""

from alerthub.pipeline.matchers import Matcher, MatcherError, Matchers, alert_labels, parse_matchers
from alerthub.pipeline.routing import Route, build_routes
from alerthub.pipeline.wiring import build_setup, dispatcher_for, wire_pipeline

__all__ = [
    "Matcher",
    "MatcherError",
    "Matchers",
    "Route",
    "alert_labels",
    "build_routes",
    "build_setup",
    "dispatcher_for",
    "parse_matchers",
    "wire_pipeline",
]
