from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter

from alerthub.api.deps import HubDep
from alerthub.api.responses import JSONResponse
from alerthub.domain.clock import utc_text_or_none
from alerthub.services.channels import ChannelInfo, ChannelService, TestOutcome

router = APIRouter(tags=["channels"])


def _ts(value: datetime | None) -> str | None:
    return utc_text_or_none(value)


def channel_json(info: ChannelInfo) -> dict[str, object]:
    state = info.state
    return {
        "name": info.name,
        "type": info.type,
        "config": info.description,
        "send_resolved": info.send_resolved,
        "language": info.language,
        "rate_per_second": info.rate_per_second,
        "burst": info.burst,
        "last_success_at": _ts(state.last_success_at),
        "last_failure_at": _ts(state.last_failure_at),
        "last_error": state.last_error,
        "failing_since": _ts(state.failing_since),
        "paused_until": _ts(state.paused_until),
    }


def outcome_json(outcome: TestOutcome) -> dict[str, object]:
    return {
        "channel": outcome.channel,
        "ok": outcome.ok,
        "external_id": outcome.external_id,
        "error": outcome.error,
        "retryable": outcome.retryable,
        "status": outcome.status,
        "retry_after": outcome.retry_after,
    }


@router.get("/api/channels")
async def list_channels(hub: HubDep) -> JSONResponse:
    """Every configured channel with its settings (secrets redacted) and its last success and failure."""
    infos = await ChannelService(hub.config, hub.db, hub.clock).list()
    return JSONResponse({"channels": [channel_json(i) for i in infos]})


@router.post("/api/channels/{name}/test")
async def test_channel(name: str, hub: HubDep) -> JSONResponse:
    """Send a test message now, past the outbox, and answer with what the service said:
    200 when it was delivered, 502 with the service's error when not."""
    outcome = await ChannelService(hub.config, hub.db, hub.clock).test(name)
    return JSONResponse(outcome_json(outcome), status_code=200 if outcome.ok else 502)
