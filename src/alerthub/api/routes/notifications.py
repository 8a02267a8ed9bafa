from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from alerthub.api.deps import HubDep
from alerthub.api.params import RowId
from alerthub.api.responses import JSONResponse
from alerthub.api.serialize import notification_json
from alerthub.domain.notification import Notification, NotificationStatus
from alerthub.services.notifications import NotificationService

router = APIRouter(tags=["notifications"])


def log_json(n: Notification) -> dict[str, Any]:
    body = notification_json(n)
    payload = n.payload if isinstance(n.payload, dict) else {}
    body.update(
        {
            "idempotency_key": n.idempotency_key,
            "external_id": n.external_id,
            "thread_key": n.thread_key,
            "merged_into": n.extra.get("merged_into"),
            "reason": payload.get("reason"),
            "fallback_from": payload.get("fallback_from"),
        }
    )
    return body


@router.get("/api/notifications")
async def list_notifications(
    hub: HubDep,
    status: Annotated[list[NotificationStatus] | None, Query()] = None,
    channel: Annotated[list[str] | None, Query()] = None,
    failures_first: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> JSONResponse:
    """The delivery log, newest first (failed ones first with `failures_first=true`)."""
    rows, next_cursor = await NotificationService(hub.db, hub.clock).list(
        statuses=status or (), channels=channel or (), failures_first=failures_first, limit=limit, cursor=cursor
    )
    return JSONResponse({"notifications": [log_json(n) for n in rows], "next_cursor": next_cursor})


@router.get("/api/notifications/{notification_id}")
async def get_notification(notification_id: RowId, hub: HubDep) -> JSONResponse:
    found = await NotificationService(hub.db, hub.clock).get(notification_id)
    body = log_json(found)
    body["payload"] = found.payload
    return JSONResponse(body)


@router.post("/api/notifications/{notification_id}/retry")
async def retry_notification(notification_id: RowId, hub: HubDep) -> JSONResponse:
    """Put a failed notification back in the outbox, due now; 409 when it has not failed."""
    again = await NotificationService(hub.db, hub.clock).retry(notification_id)
    hub.wake_delivery.set()
    return JSONResponse(log_json(again), status_code=202)
