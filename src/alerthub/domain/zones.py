"""Time zones by IANA name (`Asia/Seoul`), and the zone of the machine alerthub runs on."""

from __future__ import annotations

import os
from datetime import datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

LOCALTIME = Path("/etc/localtime")


def check_zone(name: str) -> str:
    """`name` when it is an IANA zone this machine knows; ValueError saying what is expected if not."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}; use an IANA name such as Asia/Seoul or UTC") from None
    return name


def zone(name: str | None) -> tzinfo:
    """The named zone, or the machine's own when no name is given."""
    return ZoneInfo(name) if name else local_zone()


def local_zone() -> tzinfo:
    name = local_zone_name()
    if name is not None:
        return ZoneInfo(name)
    # No name to be found: today's offset, which is right until the next daylight-saving change.
    found = datetime.now().astimezone().tzinfo
    assert found is not None
    return found


def local_zone_name() -> str | None:
    """The machine's zone as an IANA name: `TZ` when it names one, else what /etc/localtime links to."""
    candidates = [os.environ.get("TZ", "").removeprefix(":")]
    try:
        target = str(LOCALTIME.resolve())
    except OSError:
        target = ""
    if "zoneinfo/" in target:
        candidates.append(target.split("zoneinfo/", 1)[1])
    for candidate in candidates:
        try:
            if candidate:
                ZoneInfo(candidate)
                return candidate
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return None
