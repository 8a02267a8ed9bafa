"""The seed guide's body for `POST /api/alerts/send`, accepted byte for byte:

    {"rule_name": ..., "metric_data": {"metric_value": n, "additional_info": "...", "<x>_data": {...}}}

Identifying labels come out of the `<x>_data` objects, so two HetrixTools services down are two alerts.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictStr

from alerthub.domain.severity import Severity
from alerthub.domain.signal import Signal, SignalStatus
from alerthub.errors import InputError, Problem
from alerthub.validation import validate

# Keys of `<x>_data` that name the thing an alert is about; the rest is human text.
IDENTIFYING = {
    "project": "project",
    "service_name": "service",
    "service": "service",
    "monitor_id": "monitor_id",
    "url": "url",
    "host": "host",
    "hostname": "host",
    "mount": "mount",
    "nic": "nic",
    "environment": "environment",
}


# The host metrics rules (system_cpu_high, …): what the seed's system monitor sends about its own host.
SYSTEM_RULES = "system_"


class MetricData(BaseModel):
    model_config = ConfigDict(extra="allow", allow_inf_nan=False)

    metric_value: StrictFloat
    additional_info: StrictStr | None = None


class SendBody(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    rule_name: Annotated[StrictStr, Field(min_length=1, max_length=200)]
    metric_data: MetricData
    severity: Severity | None = None
    labels: dict[StrictStr, StrictStr] = Field(default_factory=dict)
    status: SignalStatus | None = None


def parse_send(data: Any, sender: str | None = None) -> Signal:
    """`sender`: the address the request came from, the `host` of a system payload that names none."""
    body = validate(SendBody, data)
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}
    if body.metric_data.additional_info:
        annotations["summary"] = body.metric_data.additional_info
    extras = body.metric_data.model_extra or {}
    for key, value in extras.items():
        if key.endswith("_data"):
            _split_data(key, value, labels, annotations)
        elif value is not None:
            annotations[key] = _text(value)
    labels.update(body.labels)
    # The seed's system monitor sends no host name: without one, every server's CPU alert would be one
    # alert. The monitor runs on the host it watches, so the address it sends from names that host.
    if body.rule_name.startswith(SYSTEM_RULES) and "host" not in labels and sender:
        labels["host"] = sender
    down = _monitor_down(extras)
    return Signal(
        rule_name=body.rule_name,
        source="api",
        value=float(body.metric_data.metric_value),
        labels=labels,
        annotations=annotations,
        status=body.status or (SignalStatus.FIRING if down else None),
        severity=body.severity or (Severity.CRITICAL if down else None),
        raw=data,
    )


def _split_data(key: str, value: Any, labels: dict[str, str], annotations: dict[str, str]) -> None:
    if not isinstance(value, dict):
        raise InputError(
            f"metric_data.{key} must be an object", [Problem(f"body.metric_data.{key}", "must be an object")]
        )
    for name, item in value.items():
        if item is None:
            continue
        label = IDENTIFYING.get(name)
        if label and isinstance(item, str | int) and not isinstance(item, bool):
            labels[label] = str(item)
        else:
            annotations[name] = _text(item)


def _monitor_down(extras: dict[str, Any]) -> bool:
    """The seed's HetrixTools monitor posts when uptime is under 99 % *or* the service is down, and
    computes "critical when down" without sending it: a down service fires critical whatever its
    uptime percentage still reads (99.95 % a minute into an outage)."""
    data = extras.get("hetrixtools_data")
    return isinstance(data, dict) and data.get("status") == "down"


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()
