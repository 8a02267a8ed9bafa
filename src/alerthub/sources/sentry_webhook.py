"""`/webhooks/sentry`: which of Sentry's two webhook kinds a request is, and whether it is genuine.

Authentication, fail closed (an open webhook lets anyone raise or resolve alerts):
* Sentry Integration Platform (`Sentry-Hook-*` headers): `Sentry-Hook-Signature` with
  `integrations.sentry.webhook_secret`; without a secret only a matching `?token=` is accepted.
* Sentry WebHooks plugin (no headers, cannot sign): `?token=` = `integrations.sentry.webhook_token`.
"""

from __future__ import annotations

from collections.abc import Sequence

from alerthub.errors import AuthenticationError, InputError, Problem
from alerthub.sources import sentry
from alerthub.sources.contracts import Endpoint, InboundRequest, Parsed, PushContext, PushSource, reveal
from alerthub.sources.sentry import SentryConfig
from alerthub.sources.signatures import require_token, signature_matches, token_matches
from alerthub.validation import parse_json


class SentryWebhook(PushSource[SentryConfig, SentryConfig]):
    settings = sentry.SETTINGS
    path = "sentry"
    description = """Sentry Integration Platform webhooks (verified by `Sentry-Hook-Signature`) and the legacy
WebHooks plugin (authenticated by `?token=`)."""

    def endpoints(self, settings: SentryConfig) -> Sequence[Endpoint[SentryConfig]]:
        return [Endpoint(None, sentry.SOURCE, settings, settings.expect_every)]

    def authenticate(self, settings: SentryConfig, request: InboundRequest) -> None:
        if _is_platform(request):
            _check_signature(request, reveal(settings.webhook_secret), reveal(settings.webhook_token))
        else:
            require_token(
                request.token(), reveal(settings.webhook_token), "integrations.sentry.webhook_token", "?token="
            )

    async def parse(self, settings: SentryConfig, request: InboundRequest, context: PushContext) -> Parsed:
        data = parse_json(request.body)
        links = sentry.SentryLinks(settings.org, settings.base_url)
        resource = _resource(request)
        platform = _is_platform(request)
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
        return sentry.parse_platform(resource, data, links) if platform else sentry.parse_legacy(data, links)


PUSH = SentryWebhook()


def _resource(request: InboundRequest) -> str:
    return request.headers.get("sentry-hook-resource", "").strip().lower()


def _is_platform(request: InboundRequest) -> bool:
    return bool(_resource(request)) or "sentry-hook-signature" in request.headers


def _check_signature(request: InboundRequest, secret: str | None, token: str | None) -> None:
    if secret:
        if not signature_matches(secret, request.body, request.headers.get("sentry-hook-signature")):
            raise AuthenticationError(
                "Sentry-Hook-Signature is missing or does not match the body; integrations.sentry.webhook_secret "
                "must be the integration's Client Secret",
                [Problem("headers.sentry-hook-signature", "missing or wrong")],
            )
        return
    if token_matches(token, request.token()):
        return
    raise AuthenticationError(
        "signed Sentry webhooks are refused until integrations.sentry.webhook_secret is set to the "
        "integration's Client Secret (or the URL carries ?token=<integrations.sentry.webhook_token>)",
        [Problem("integrations.sentry.webhook_secret", "not configured")],
    )
