"""Which messages one escalation step writes: for each channel it goes over, who that message pages.

A channel type says how it reaches a person (`Channel.pages_by`): `mention` names everyone paged in one
message in the channel (Discord, Slack), `direct` sends each person their own (a mail to them, their
Telegram chat, their Apprise URLs), `none` cannot address anyone and carries the names (webhooks).
A step that reaches nobody by name still speaks: its channels get the page unaddressed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from alerthub.channels.registry import CHANNEL_TYPES
from alerthub.config.models import Config
from alerthub.domain.escalation import EscalationPolicy, EscalationStep
from alerthub.oncall.escalation import Reach
from alerthub.oncall.roster import Roster
from alerthub.pipeline.routing import receiver_channels

# (receiver, channel, people paged by that message)
PageMessage = tuple[str, str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class PageRoute:
    receivers: Mapping[str, tuple[str, ...]]  # receiver -> its channels
    channel_types: Mapping[str, str]  # channel -> its type

    @classmethod
    def from_config(cls, config: Config) -> PageRoute:
        """A route's receiver may also name a channel, or be the root's `default`: the names mean here what
        they mean in routing, so a policy on such a route pages over its channels."""
        return cls(receiver_channels(config), {c.name: c.type for c in config.channels})


def page_groups(
    reached: Reach, receiver: str, via: Sequence[str], routes: PageRoute, roster: Roster
) -> tuple[list[PageMessage], tuple[str, ...]]:
    """The messages of one step, and the people paged who have no contact on any of its channels."""
    channels = [c for c in via if c in routes.channel_types]
    out: list[PageMessage] = []
    reached_anyhow: set[str] = set()
    for channel in channels:
        kind = routes.channel_types[channel]
        style = CHANNEL_TYPES[kind].pages_by if kind in CHANNEL_TYPES else "none"
        people = tuple(p for p in reached.people if style == "none" or roster.address(p, kind))
        reached_anyhow.update(people)
        if style == "direct":
            out += [(receiver, channel, (p,)) for p in people]
        elif people:
            out.append((receiver, channel, people))
    if not out and (reached.people or not reached.receivers):  # named people, none reachable; or nobody
        out = [(receiver, c, ()) for c in channels]
    for named in reached.receivers:
        out += [(named, c, ()) for c in routes.receivers.get(named, ())]
    # Once each: a receiver named in the step may be the one the alert went to, over the same channels.
    return list(dict.fromkeys(out)), tuple(p for p in reached.people if p not in reached_anyhow)


def policies_from(config: Config) -> dict[str, EscalationPolicy]:
    return {
        p.name: EscalationPolicy(
            p.name,
            tuple(
                EscalationStep(tuple(s.notify), s.wait, tuple(s.via) if s.via is not None else None) for s in p.steps
            ),
            p.repeat,
            p.ack_timeout,
        )
        for p in config.escalation_policies
    }
