"""GA4 as a pull source. Google's client brings gRPC, protobuf and google-auth, a fifth of an idle hub's
memory: sources/ga4.py is imported only when a GA4 poller is built, by a hub configured to poll GA4."""

from __future__ import annotations

from datetime import timedelta

import httpx

from alerthub.domain.clock import Clock
from alerthub.ingest.poller import Poller
from alerthub.sources.contracts import PullSource
from alerthub.sources.ga4_settings import SETTINGS, GA4Config

REPORTS_PER_RUN = 3  # and one more when `events` are counted


class GA4Pull(PullSource[GA4Config]):
    settings = SETTINGS
    kind = "ga4"
    needs = ("google.analytics.data_v1beta", "ga4")

    def enabled(self, settings: GA4Config) -> bool:
        return bool(settings.property_id)

    def interval(self, settings: GA4Config) -> timedelta:
        return settings.poll_interval

    def poller(self, settings: GA4Config, http: httpx.AsyncClient, clock: Clock, timeout: timedelta) -> Poller:
        from alerthub.sources.ga4 import GA4Poller

        # Google's client has no client-wide deadline: each report gets its share of the run's.
        reports = REPORTS_PER_RUN + (1 if settings.events else 0)
        return GA4Poller(settings, clock, timeout=timeout.total_seconds() / reports)


PULL = GA4Pull()
