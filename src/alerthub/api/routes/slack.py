"""`POST /webhooks/slack/interactions`: presses of the Acknowledge / Resolve / Silence buttons on alerthub's
Slack messages (services/slack_presses.py). Public like every webhook: Slack's signature is the credential."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request

from alerthub.api.body import read_body
from alerthub.api.deps import HubDep
from alerthub.api.responses import JSONResponse
from alerthub.delivery.client import delivery_client
from alerthub.services.slack_presses import SlackPresses, background_poster
from alerthub.sources.contracts import reveal
from alerthub.sources.slack_actions import PATH, SETTINGS

router = APIRouter(tags=["webhooks"])
logger = logging.getLogger(__name__)
_FORM: dict[str, Any] = {
    "requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {}}}}
}


@router.post(PATH, openapi_extra=_FORM)
async def slack_interactions(request: Request, hub: HubDep) -> JSONResponse:
    """A Slack button press, signed with the app's signing secret (`integrations.slack.signing_secret`)."""
    body = await read_body(request, hub.config.server.max_body_bytes)
    headers = {name.lower(): value for name, value in request.headers.items()}
    secret = reveal(SETTINGS.among(hub.config.integrations.entries()).signing_secret)
    presses = SlackPresses(request.app.state.actions, secret, hub.oncall.roster, hub.clock, background_poster(_post))
    return JSONResponse(await presses.press(headers, body))


async def _post(url: str, body: dict[str, Any]) -> None:
    try:
        async with delivery_client() as http:
            answer = await http.request("POST", url, json=body, timeout=10)
        if answer.status_code >= 300:
            logger.warning("Slack refused the message update: HTTP %s", answer.status_code)
    except Exception:  # the loop boundary of a background task: the action itself is done
        logger.exception("updating the Slack message failed")
