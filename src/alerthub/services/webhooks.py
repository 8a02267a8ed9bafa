"""Webhooks in: find the push source, authenticate, parse, record that the source is alive, store, answer.

Every request is authenticated before its body is parsed, by its source's own rules, which fail closed
(no secret configured, no entry: see each push source), and nothing is written for a request that fails
authentication or parsing. Storing is one `ingest` transaction, which is fast enough to answer within
Sentry's one-second timeout; notifications are sent later by the pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from alerthub.domain.alert import Alert
from alerthub.domain.clock import Clock
from alerthub.domain.labels import fingerprint
from alerthub.domain.signal import Signal
from alerthub.ingest.transaction import IngestResult, IngestService
from alerthub.rules.ruleset import RuleSet
from alerthub.services.heartbeats import HeartbeatService
from alerthub.sources.contracts import InboundRequest, Parsed
from alerthub.sources.registry import Integrations
from alerthub.store import alerts as alert_store
from alerthub.store.database import Database
from alerthub.telemetry import Metrics


@dataclass(frozen=True, slots=True)
class WebhookOutcome:
    source: str
    results: tuple[IngestResult, ...]
    ignored: str | None = None


class WebhookService:
    """One entry for every push source; it is also the `PushContext` a source parses with."""

    def __init__(
        self,
        *,
        integrations: Integrations,
        ingest: IngestService,
        heartbeats: HeartbeatService,
        db: Database,
        rules: RuleSet,
        clock: Clock,
        metrics: Metrics,
        max_items: int,
    ) -> None:
        self.integrations = integrations
        self.ingest = ingest
        self.heartbeats = heartbeats
        self.db = db
        self.rules = rules
        self.clock = clock
        self.metrics = metrics
        self.max_items = max_items

    async def receive(self, source_name: str, request: InboundRequest, name: str | None = None) -> WebhookOutcome:
        """`name` picks one endpoint of a source that has several (`/webhooks/generic/{name}`)."""
        source = self.integrations.push_source(source_name)
        endpoint = source.endpoint(self.integrations.of(source.settings), name)
        source.authenticate(endpoint.settings, request)
        return await self._store(endpoint.source, await source.parse(endpoint.settings, request, self))

    def now(self) -> datetime:
        return self.clock()

    async def open_alert(self, signal: Signal) -> Alert | None:
        rule = self.rules.passthrough_for(signal.rule_name, signal.source)
        wanted = fingerprint(rule.name, {**rule.labels, **signal.labels}, signal.identity)
        async with self.db.read() as conn:
            found = (await alert_store.load_by_fingerprints(conn, [wanted])).get(wanted)
        return found if found is not None and found.state.is_open else None

    async def _store(self, source: str, parsed: Parsed) -> WebhookOutcome:
        # The source spoke, whatever it said: that is what its heartbeat measures.
        await self.heartbeats.source_seen(source)
        if not parsed.signals:
            return WebhookOutcome(source, (), parsed.ignored or "nothing to store")
        results = await self.ingest.ingest(parsed.signals, known_rules_only=False)
        for signal in parsed.signals:
            self.metrics.signals.labels(signal.source).inc()
        return WebhookOutcome(source, tuple(results))
