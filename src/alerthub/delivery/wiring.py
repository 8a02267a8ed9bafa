"""One call in `build_hub` registers the outbox worker as a background loop."""

from __future__ import annotations

from typing import TYPE_CHECKING

from alerthub.delivery.metrics import DeliveryMetrics
from alerthub.delivery.worker import DeliveryWorker

if TYPE_CHECKING:
    from alerthub.hub import Hub


def wire_delivery(hub: Hub) -> DeliveryWorker:
    worker = DeliveryWorker(
        hub.config,
        hub.db,
        hub.clock,
        DeliveryMetrics(hub.metrics.registry),
        wake=hub.wake_delivery,
        on_error=lambda: hub.metrics.loop_errors.labels("delivery").inc(),
    )
    hub.background["delivery"] = worker.run
    return worker


def worker_of(hub: Hub) -> DeliveryWorker:
    """The worker `wire_delivery` registered (tests and the CLI drive it directly)."""
    run = hub.background["delivery"]
    worker = getattr(run, "__self__", None)
    assert isinstance(worker, DeliveryWorker)
    return worker
