"""One-click actions from a message: what a signed link (domain/action_token.py) may do to its alert.
Looking at a link changes nothing (mail scanners and chat previews fetch links); only `perform`, from
the confirmation page's button, acts, and the alert's history says who, "via link"."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from alerthub.domain.action_token import Action, ActionGrant, ActionTokenCodec
from alerthub.domain.alert import Alert, AlertState
from alerthub.domain.clock import Clock
from alerthub.domain.silence import LabelMatcher
from alerthub.errors import ConflictError, ForbiddenError
from alerthub.services.alerts import AlertService
from alerthub.services.silences import SilenceDraft, SilenceService

SILENCE_FOR = timedelta(hours=1)
_FROM = {"link": "a message link", "slack": "a Slack button", "telegram": "a Telegram button"}
DONE = {  # what a message says after
    "ack": "Acknowledged",
    "ack_all": "All acknowledged",
    "resolve": "Resolved",
    "silence": "Silenced for 1h",
}
_NOTHING_LEFT = "every alert this message listed is already acknowledged or resolved, or has fired again since"


@dataclass(frozen=True, slots=True)
class ActionView:
    grant: ActionGrant
    alert: Alert
    done: str = ""  # after `perform`: what was done, e.g. the new silence's id
    alerts: tuple[Alert, ...] = ()  # `ack_all`: the message's alerts it acts on (or acted on); `alert` is the first


class ActionService:
    def __init__(
        self,
        alerts: Callable[[], AlertService],
        silences: SilenceService,
        codec: Callable[[], Awaitable[ActionTokenCodec]],
        clock: Clock,
    ) -> None:
        # Looked up at each use: a reload swaps the hub's alert service (its hooks follow the new
        # configuration), and the pages that act through this one outlive it.
        self._alerts = alerts
        self.silences = silences
        self.codec = codec
        self.clock = clock

    @property
    def alerts(self) -> AlertService:
        return self._alerts()

    async def look(self, action: str, token: str) -> ActionView:
        """The link's grant and its alert, read only. ForbiddenError for a link that is not ours or
        whose path names another action, ExpiredError once expired, ConflictError when the action no
        longer applies (the alert resolved, was acknowledged, or fired again since)."""
        grant = (await self.codec()).decode(token, self.clock().timestamp())
        if action != grant.action.value:
            raise ForbiddenError("this action link is not valid: it was changed or not made by this hub")
        return await self.check(grant)

    async def check(self, grant: ActionGrant) -> ActionView:
        """The grant's alert, if the action still applies to it (ConflictError otherwise)."""
        if grant.action is Action.ACK_ALL:
            listed = await self.alerts.listed_by(grant.message)
            firing = tuple(a for a in listed if a.state is AlertState.FIRING)
            if not firing:
                raise ConflictError(_NOTHING_LEFT)
            return ActionView(grant, firing[0], alerts=firing)
        alert = (await self.alerts.get(grant.alert_id)).alert
        _check_applies(grant, alert)
        return ActionView(grant, alert)

    async def perform(self, action: str, token: str, via: str = "link", person: str | None = None) -> ActionView:
        """`via`: where the action came from (a link, a Slack button); `person`: who, when the service
        that carried it says (a Slack user who is in people[]); else whom the message went to."""
        return await self.act(await self.look(action, token), via, person)

    async def act(self, view: ActionView, via: str, person: str | None = None) -> ActionView:
        """Do what a checked grant allows (`check` or `look` made `view`)."""
        who = f"{person or view.grant.person} via {via}"
        where = _FROM.get(via, via)
        if view.grant.action is Action.ACK_ALL:
            episodes = {a.id or 0: a.episode for a in view.alerts}
            done = await self.alerts.acknowledge_many(
                episodes, who, f"acknowledged from {where}, with every alert of its message"
            )
            if not done:  # acknowledged or resolved since the link was looked at
                raise ConflictError(_NOTHING_LEFT)
            return ActionView(view.grant, done[0], alerts=done)
        if view.grant.action is Action.ACK:
            alert = await self.alerts.acknowledge(view.alert.id or 0, who, f"acknowledged from {where}")
            return ActionView(view.grant, alert)
        if view.grant.action is Action.RESOLVE:
            alert = await self.alerts.resolve(view.alert.id or 0, who, f"resolved from {where}")
            return ActionView(view.grant, alert)
        now = self.clock()
        matchers = (LabelMatcher("alertname", view.alert.rule_name),) + tuple(
            LabelMatcher(name, value) for name, value in sorted(view.alert.labels.items())
        )
        silence = await self.silences.save(
            SilenceDraft(matchers, now, now + SILENCE_FOR, who, f"silenced for 1h from {where}")
        )
        return ActionView(view.grant, view.alert, done=silence.id)


def _check_applies(grant: ActionGrant, alert: Alert) -> None:
    if alert.episode != grant.episode:
        raise ConflictError("this link is about an earlier episode of the alert; it has fired again since")
    if not alert.state.is_open:
        raise ConflictError(f"the alert is already {alert.state.value}; nothing to do")
    if grant.action is Action.ACK and alert.state is AlertState.ACKNOWLEDGED:
        raise ConflictError(f"the alert is already acknowledged by {alert.acknowledged_by or 'someone'}")
    if grant.action is Action.ACK and alert.state is not AlertState.FIRING:
        raise ConflictError(f"the alert is {alert.state.value}; only a firing alert can be acknowledged")
