"""`integrations.pagerduty`: routing keys mapped to labels, so alerts are routed by integration key as
PagerDuty routes them by service:

    integrations:
      pagerduty:
        routing_keys:
          - key: ${PAYMENTS_ROUTING_KEY}
            labels: {service: payments, team: billing}

The labels are added to every event sent with that key (they win over the event's own), and a change
event sent with it is shown on the open alerts that carry them. Once access control is on, a key listed
here is also accepted as the event's credential (api/auth.py), like an ingest token. Keys are secrets:
they are compared by their SHA-256, as tokens are, and never stored with an alert.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator, model_validator

from alerthub.config.models import Strict
from alerthub.ingest.limits import MAX_LABEL_NAME, MAX_LABEL_VALUE
from alerthub.sources.contracts import Settings

MAX_KEY = 255  # PagerDuty's own bound on routing_key and dedup_key
# The labels an event's identity and its own fields own: a key's labels may not replace them.
RESERVED_LABELS = frozenset({"dedup_key"})
LabelName = Annotated[str, Field(min_length=1, max_length=MAX_LABEL_NAME, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
LabelValue = Annotated[str, Field(max_length=MAX_LABEL_VALUE)]


class RoutingKeyConfig(Strict):
    key: SecretStr
    labels: dict[LabelName, LabelValue] = Field(default_factory=dict)

    @field_validator("key")
    @classmethod
    def _key_length(cls, value: SecretStr) -> SecretStr:
        if not 1 <= len(value.get_secret_value()) <= MAX_KEY:
            raise ValueError(f"a routing key has 1 to {MAX_KEY} characters")
        return value

    @field_validator("labels")
    @classmethod
    def _not_reserved(cls, value: dict[str, str]) -> dict[str, str]:
        taken = sorted(RESERVED_LABELS & value.keys())
        if taken:
            raise ValueError(f"{', '.join(taken)} identifies a PagerDuty alert; a routing key cannot set it")
        return value


class PagerDutyConfig(Strict):
    routing_keys: list[RoutingKeyConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _keys_once(self) -> PagerDutyConfig:
        seen: set[str] = set()
        for index, entry in enumerate(self.routing_keys):
            digest = key_digest(entry.key.get_secret_value())
            if digest in seen:
                raise ValueError(f"routing_keys[{index}]: this key is already listed; give each key once")
            seen.add(digest)
        return self


SETTINGS = Settings("pagerduty", PagerDutyConfig)


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class RoutingKeys:
    """The configured keys by their digest, each with its labels."""

    by_digest: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @classmethod
    def of(cls, config: PagerDutyConfig) -> RoutingKeys:
        return cls({key_digest(e.key.get_secret_value()): dict(e.labels) for e in config.routing_keys})

    def labels(self, key: Any) -> dict[str, str]:
        """The labels of a configured key; none for any other key (or a key that is not a string)."""
        found = self.by_digest.get(key_digest(key)) if isinstance(key, str) else None
        return dict(found or {})

    def configured(self, key: str) -> bool:
        return key_digest(key) in self.by_digest


NO_KEYS = RoutingKeys()
