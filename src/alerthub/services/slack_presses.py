"""A press of an alerthub button in Slack, as a person meets it: verified (sources/slack_actions.py), the
action done as the person who pressed it (`user:alice via slack` when their Slack id is in people[], else
`user:slack:<username> via slack`), and the message updated through Slack's `response_url`: its buttons
replaced by who did what. A press that cannot act (the alert resolved meanwhile, the link expired) says
why to the presser alone."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from alerthub.domain.clock import Clock
from alerthub.errors import InputError
from alerthub.oncall.roster import Roster
from alerthub.services.actions import DONE, ActionService, ActionView
from alerthub.sources.slack_actions import SlackPress, parse, verify

logger = logging.getLogger(__name__)

# (response_url, body) -> None; raises nothing (a failed update is logged: the action itself is done).
Poster = Callable[[str, dict[str, Any]], Coroutine[Any, Any, None]]


class SlackPresses:
    def __init__(self, actions: ActionService, secret: str | None, roster: Roster, clock: Clock, post: Poster) -> None:
        self.actions = actions
        self.secret = secret
        self.roster = roster
        self.clock = clock
        self.post = post

    async def press(self, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
        """Raises AuthenticationError (401) for a request Slack did not sign; InputError (422) for a body
        that is not a press. Anything else is answered, to the presser, through `response_url`."""
        verify(self.secret, headers, body, self.clock().timestamp())
        found = parse(body)
        person = self._person(found.user_id) or f"slack:{found.user_name}"
        try:
            view = await self.actions.perform(found.action, found.token, "slack", person)
        except InputError as exc:
            answer = {"response_type": "ephemeral", "replace_original": False, "text": exc.message}
        else:
            answer = _updated(found, view, person)
        if found.response_url:
            await self.post(found.response_url, answer)
        return answer

    def _person(self, slack_id: str) -> str | None:
        return next((p.name for p in self.roster.people.values() if slack_id and p.slack_user_id == slack_id), None)


def _updated(press: SlackPress, view: ActionView, person: str) -> dict[str, Any]:
    said = f"{DONE[press.action]} by {person}" + (f" (silence {view.done})" if view.done else "")
    kept = [dict(b) for b in press.blocks if b.get("type") != "actions"]
    context = {"type": "context", "elements": [{"type": "plain_text", "text": said}]}
    return {"replace_original": True, "text": said, "blocks": [*kept, context]}


# Updates on their way: asyncio keeps only weak references to tasks, and a request's objects are gone
# once it has been answered.
_PENDING: set[asyncio.Task[None]] = set()


def background_poster(post: Poster) -> Poster:
    """Slack wants the press answered within 3 seconds: the update goes out beside the answer."""

    async def later(url: str, body: dict[str, Any]) -> None:
        task: asyncio.Task[None] = asyncio.create_task(post(url, body))
        _PENDING.add(task)
        task.add_done_callback(_PENDING.discard)

    return later
