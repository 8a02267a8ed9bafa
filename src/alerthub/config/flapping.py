"""`rules[].flapping`: when an alert's changes between firing and resolved make it flapping."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field

from alerthub.config.durations import PositiveDuration


class FlappingConfig(BaseModel):
    """More than `changes` firing/resolved changes within `window` make an alert flapping: one message says
    so, later changes send nothing, and once it has held one state for `settle` one message gives the outcome."""

    window: PositiveDuration = timedelta(hours=1)
    changes: int = Field(4, ge=2, le=100)
    settle: PositiveDuration = timedelta(minutes=15)

    model_config = ConfigDict(extra="forbid", frozen=True)
