"""Webhooks in: authenticate, parse, record that the source is alive, store, answer.

Every path is authenticated before the body is parsed, and nothing is written for a request that
fails authentication or parsing. Storing is one `ingest` transaction, which is fast enough to answer
within Sentry's one-second timeout; notifications are sent later by the pipeline.

Authentication, fail closed (an open webhook lets anyone raise or resolve alerts):
* Sentry Integration Platform (`Sentry-Hook-*` headers): `Sentry-Hook-Signature` with
  `integrations.sentry.webhook_secret`; without a secret only a matching `?token=` is accepted.
* Sentry WebHooks plugin (no headers, cannot sign): `?token=` = `integrations.sentry.webhook_token`.
* HetrixTools, generic: `Authorization: Bearer <token>` or `?token=`; no token configured, no entry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import SecretStr

from alerthub.domain.alert import Alert
from alerthub.domain.labels import fingerprint
from alerthub.domain.signal import Signal, SignalStatus
from alerthub.errors import AuthenticationError, InputError, NotFoundError, Problem
from alerthub.ingest.validation import parse_json
from alerthub.services.heartbeats import HeartbeatService
from alerthub.services.ingest import IngestResult
from alerthub.sources import generic, hetrixtools, sentry
from alerthub.sources.signatures import bearer_token, signature_matches, token_matches
from alerthub.store import alerts as alert_store

if TYPE_CHECKING:
    from alerthub.hub import Hub


@dataclass(frozen=True, slots=True)
class Delivery:
    """One webhook request as received: raw bytes (signatures cover exactly these), lower-cased
    header names, and the `?token=` query parameter."""

    body: bytes
    headers: Mapping[str, str]
    query_token: str | None = None

    def token(self) -> str | None:
        return bearer_token(self.headers.get("authorization")) or self.query_token


@dataclass(frozen=True, slots=True)
class WebhookOutcome:
    source: str
    results: tuple[IngestResult, ...]
    ignored: str | None = None


class WebhookService:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.config = hub.config.integrations
        self.heartbeats = HeartbeatService.from_hub(hub)

    async def sentry(self, delivery: Delivery) -> WebhookOutcome:
        cfg = self.config.sentry
        resource = delivery.headers.get("sentry-hook-resource", "").strip().lower()
        platform = bool(resource) or "sentry-hook-signature" in delivery.headers
        if platform:
            _check_sentry_signature(delivery, _text(cfg.webhook_secret), _text(cfg.webhook_token))
        else:
            _check_token(delivery, _text(cfg.webhook_token), "integrations.sentry.webhook_token", "?token=")
        data = parse_json(delivery.body)
        links = sentry.SentryLinks(cfg.org, cfg.base_url)
        if platform and not resource:
            raise InputError(
                "a signed Sentry webhook without a Sentry-Hook-Resource header",
                [Problem("headers.sentry-hook-resource", "required")],
                400,
            )
        if not platform and sentry.is_platform_body(data):
            raise InputError(
                "an Integration Platform body without its Sentry-Hook-Resource and Sentry-Hook-Signature headers",
                [Problem("headers.sentry-hook-resource", "required for Integration Platform webhooks")],
                400,
            )
        parsed = sentry.parse_platform(resource, data, links) if platform else sentry.parse_legacy(data, links)
        return await self._store("sentry", parsed.signals, parsed.ignored)

    async def hetrixtools(self, delivery: Delivery) -> WebhookOutcome:
        token = _text(self.config.hetrixtools.webhook_token)
        _check_token(delivery, token, "integrations.hetrixtools.webhook_token", "Authorization: Bearer")
        data = parse_json(delivery.body)
        signals = hetrixtools.parse_webhook(data, max_items=self.hub.config.server.max_alerts_per_request)
        return await self._store("hetrixtools", await self._with_downtime(signals))

    async def generic(self, name: str, delivery: Delivery) -> WebhookOutcome:
        cfg = next((g for g in self.config.generic if g.name == name), None)
        if cfg is None:
            raise NotFoundError(f"no generic webhook named {name!r}; add it to integrations.generic[]")
        _check_token(delivery, _text(cfg.token), f"integrations.generic[name={name}].token", "Authorization: Bearer")
        mapping = generic.FieldMapping(cfg.name, cfg.rule_name, cfg.fields)
        data = parse_json(delivery.body)
        signals = generic.parse(data, mapping, max_items=self.hub.config.server.max_alerts_per_request)
        return await self._store(f"generic.{name}", signals)

    async def _store(self, source: str, signals: Sequence[Signal], ignored: str | None = None) -> WebhookOutcome:
        # The source spoke, whatever it said: that is what its heartbeat measures.
        await self.heartbeats.source_seen(source)
        if not signals:
            return WebhookOutcome(source, (), ignored or "nothing to store")
        results = await self.hub.ingest.ingest(signals, known_rules_only=False)
        for signal in signals:
            self.hub.metrics.signals.labels(signal.source).inc()
        return WebhookOutcome(source, tuple(results))

    async def _with_downtime(self, signals: list[Signal]) -> list[Signal]:
        """Give a recovery the downtime duration, read from the downtime alert it is about to resolve."""
        out = []
        for signal in signals:
            if signal.rule_name == hetrixtools.DOWNTIME_RULE and signal.status is SignalStatus.RESOLVED:
                found = await self._open_alert(signal)
                if found is not None:
                    offline_at = hetrixtools.offline_time(found.annotations, found.first_seen)
                    signal = hetrixtools.recovered(signal, offline_at, self.hub.clock())
            out.append(signal)
        return out

    async def _open_alert(self, signal: Signal) -> Alert | None:
        rule = self.hub.rules.passthrough_for(signal.rule_name, signal.source)
        wanted = fingerprint(rule.name, {**rule.labels, **signal.labels}, signal.identity)
        async with self.hub.db.read() as conn:
            found = (await alert_store.load_by_fingerprints(conn, [wanted])).get(wanted)
        return found if found is not None and found.state.is_open else None


def _check_sentry_signature(delivery: Delivery, secret: str | None, token: str | None) -> None:
    if secret:
        if not signature_matches(secret, delivery.body, delivery.headers.get("sentry-hook-signature")):
            raise AuthenticationError(
                "Sentry-Hook-Signature is missing or does not match the body; integrations.sentry.webhook_secret "
                "must be the integration's Client Secret",
                [Problem("headers.sentry-hook-signature", "missing or wrong")],
            )
        return
    if token_matches(token, delivery.token()):
        return
    raise AuthenticationError(
        "signed Sentry webhooks are refused until integrations.sentry.webhook_secret is set to the "
        "integration's Client Secret (or the URL carries ?token=<integrations.sentry.webhook_token>)",
        [Problem("integrations.sentry.webhook_secret", "not configured")],
    )


def _check_token(delivery: Delivery, expected: str | None, key: str, how: str) -> None:
    if not expected:
        raise AuthenticationError(
            f"this webhook is refused until {key} is set; then send the token as {how} or ?token=",
            [Problem(key, "not configured")],
        )
    if not token_matches(expected, delivery.token()):
        raise AuthenticationError(
            f"missing or wrong webhook token (expected the value of {key} as {how} or ?token=)",
            [Problem("headers.authorization", "missing or wrong token")],
        )


def _text(secret: SecretStr | None) -> str | None:
    return secret.get_secret_value() if secret is not None else None
