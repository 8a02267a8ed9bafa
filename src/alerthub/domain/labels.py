from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

LabelSet = Mapping[str, str]


def fingerprint(rule_name: str, labels: LabelSet, identity: Iterable[str] | None = None) -> str:
    """Identity of an alert: the rule plus the labels that name the thing (all labels by default).

    Sorted so that label order in a payload never splits one alert into two.
    """
    names = sorted(labels if identity is None else (n for n in identity if n in labels))
    digest = hashlib.sha256(rule_name.encode())
    for name in names:
        digest.update(b"\x00")
        digest.update(name.encode())
        digest.update(b"\x01")
        digest.update(labels[name].encode())
    return digest.hexdigest()[:16]


# The labels that say where an alert is, most telling first: a message's "— web-1".
WHERE_LABELS = ("service", "host", "instance", "monitor_name", "monitor", "project", "url", "job", "environment")


def where_label(labels: LabelSet) -> str:
    return next((labels[k] for k in WHERE_LABELS if labels.get(k)), "")
