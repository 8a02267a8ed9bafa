"""`integrations.ga4`, apart from the poller: reading the configuration must not load Google's client."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import Field, field_validator

from alerthub.config.durations import Duration
from alerthub.config.models import Strict
from alerthub.sources.contracts import Settings


class GA4Config(Strict):
    property_id: str | None = None
    credentials_file: str | None = None
    api_endpoint: str | None = None
    poll_interval: Duration = timedelta(minutes=5)
    error_page_pattern: str = r"(?i)(404|not found|error|오류|찾을 수 없)"
    min_volume: int = Field(20, ge=0)
    baseline_weeks: int = Field(4, ge=1, le=12)
    # Events counted by `ga4_event_count`, each its own alert (label `event`); GA4's own naming rules.
    events: list[Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,39}$")]] = Field(
        default_factory=list, max_length=50
    )

    @field_validator("property_id", mode="before")
    @classmethod
    def _text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value


SETTINGS = Settings("ga4", GA4Config)
