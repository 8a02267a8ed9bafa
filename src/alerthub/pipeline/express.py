"""The express path, the hand-off after commit: a flush writes the rows of a channel this process can send on right now
already claimed by its delivery worker, and gives them to it once the transaction has committed. Commit
to send is then one hop, with no claim transaction and no loop turn between. The outbox stays the truth:
if the process dies before it sends, the row's lease runs out and any instance claims it as usual."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Protocol

from alerthub.domain.notification import Notification
from alerthub.store.outbox import Claim


class Express(Protocol):
    def claims(self, channels: Collection[str], now: datetime) -> dict[str, Claim]:
        """The channels among `channels` whose rows this process would send at once."""
        ...

    def take(self, rows: Sequence[Notification]) -> None:
        """After the commit: send these rows, written under this process's claims."""
        ...


class NoExpress:
    """Every row left to the delivery loop's claims (no worker in this process, or tests)."""

    def claims(self, channels: Collection[str], now: datetime) -> dict[str, Claim]:
        return {}

    def take(self, rows: Sequence[Notification]) -> None:
        return None
