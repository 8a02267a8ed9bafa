"""The host's own CPU, memory, disks, network errors and load, read with psutil.

CPU is `cpu_percent(interval=None)`: the busy share since the previous call, so sampling never blocks
(the seed slept a second inside the event loop). Network errors are the errors counted since the
previous run, per NIC (the seed compared the counters since boot with 100, so one old burst paged
forever). Every real disk partition is reported by mount point; pseudo and snap/loop file systems
are not disks. A one-second spike does not page: the rules' `for` asks for it to hold.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from datetime import timedelta
from typing import Protocol

import httpx
import psutil

from alerthub.config.durations import Duration
from alerthub.config.models import Strict
from alerthub.domain.clock import Clock
from alerthub.domain.signal import Signal
from alerthub.domain.summaries import say
from alerthub.sources.contracts import PullSource, Settings

logger = logging.getLogger(__name__)

PSEUDO_FILESYSTEMS = frozenset(
    {
        "autofs", "binfmt_misc", "bpf", "cgroup", "cgroup2", "configfs", "debugfs", "devfs", "devpts",
        "devtmpfs", "efivarfs", "fuse.lxcfs", "fusectl", "hugetlbfs", "mqueue", "nsfs", "overlay", "proc",
        "pstore", "ramfs", "securityfs", "squashfs", "sysfs", "tmpfs", "tracefs",
    }
)  # fmt: skip


class SystemConfig(Strict):
    enabled: bool = False
    interval: Duration = timedelta(seconds=60)
    host: str | None = None


SETTINGS = Settings("system", SystemConfig)

# What each reading is called in the summary catalogue, and how its value is written there.
_SAID = {
    "cpu": ("cpu", "{:.1f}"),
    "memory": ("memory", "{:.1f}"),
    "disk": ("disk", "{:.1f}"),
    "load": ("load", "{:.2f}"),
    "network": ("network_errors", "{:.0f}"),
}


class Probe(Protocol):
    """The readings, behind a seam so the arithmetic is testable with chosen numbers."""

    def cpu_percent(self) -> float: ...
    def memory_percent(self) -> float: ...
    def disks(self) -> dict[str, float]: ...
    def network_errors(self) -> dict[str, int]: ...
    def load_per_cpu(self) -> float | None: ...


class PsutilProbe:
    def __init__(self) -> None:
        psutil.cpu_percent(interval=None)  # the first call only starts the measurement

    def cpu_percent(self) -> float:
        return float(psutil.cpu_percent(interval=None))

    def memory_percent(self) -> float:
        return float(psutil.virtual_memory().percent)

    def disks(self) -> dict[str, float]:
        usage: dict[str, float] = {}
        seen_devices: set[str] = set()
        for part in psutil.disk_partitions(all=False):
            if not _is_real_disk(part.device, part.mountpoint, part.fstype) or part.device in seen_devices:
                continue
            try:
                usage[part.mountpoint] = float(psutil.disk_usage(part.mountpoint).percent)
            except OSError as exc:  # a vanished or unreadable mount is skipped, not fatal
                logger.info("disk not readable", extra={"mount": part.mountpoint, "error": str(exc)})
                continue
            seen_devices.add(part.device)
        return usage

    def network_errors(self) -> dict[str, int]:
        counters = psutil.net_io_counters(pernic=True)
        return {nic: int(c.errin + c.errout) for nic, c in counters.items() if nic != "lo"}

    def load_per_cpu(self) -> float | None:
        try:
            one_minute = os.getloadavg()[0]
        except OSError:
            return None
        return one_minute / (psutil.cpu_count() or 1)


def _is_real_disk(device: str, mount: str, fstype: str) -> bool:
    if fstype in PSEUDO_FILESYSTEMS or device.startswith("/dev/loop") or mount.startswith("/snap/"):
        return False
    # In a container the host's files are bind-mounted one by one (/etc/hosts): not disks.
    return os.path.isdir(mount)


def host_name(config: SystemConfig) -> str:
    return config.host or socket.gethostname()


class SystemPoller:
    """One per host: its monitor name carries the host, so with several instances on several machines
    each measures its own (the lease is per name), while API pollers still run once."""

    kind = "system"

    def __init__(self, config: SystemConfig, probe: Probe | None = None) -> None:
        self.host = host_name(config)
        self.name = f"system:{self.host}"
        self.probe = probe or PsutilProbe()
        # The first run counts network errors from here, not since boot.
        self._errors = self.probe.network_errors()

    async def poll(self) -> list[Signal]:
        # psutil reads /proc and statfs; a hung network mount must not stall the event loop.
        return await asyncio.to_thread(self._read)

    def _read(self) -> list[Signal]:
        host = {"host": self.host}
        signals = [
            self._signal("system_cpu_high", self.probe.cpu_percent(), host, "cpu"),
            self._signal("system_memory_high", self.probe.memory_percent(), host, "memory"),
        ]
        for mount, percent in sorted(self.probe.disks().items()):
            signals.append(self._signal("system_disk_high", percent, {**host, "mount": mount}, "disk"))
        signals.extend(self._network(host))
        load = self.probe.load_per_cpu()
        if load is not None:
            signals.append(self._signal("system_load_high", round(load, 2), host, "load"))
        return signals

    def _network(self, host: dict[str, str]) -> list[Signal]:
        current = self.probe.network_errors()
        previous, self._errors = self._errors, current
        signals = []
        for nic, total in sorted(current.items()):
            before = previous.get(nic)
            if before is None or total < before:
                continue  # a new NIC, or its counters were reset: nothing to compare with yet
            signals.append(self._signal("system_network_error", float(total - before), {**host, "nic": nic}, "network"))
        return signals

    def _signal(self, rule: str, value: float, labels: dict[str, str], kind: str) -> Signal:
        key, shown = _SAID[kind]
        summary = say(key, host=self.host, value=shown.format(value))
        return Signal(rule_name=rule, source="system", value=value, labels=labels, annotations={"summary": summary})


class SystemPull(PullSource[SystemConfig]):
    settings = SETTINGS
    kind = "system"
    per_machine = True

    def enabled(self, settings: SystemConfig) -> bool:
        return settings.enabled

    def interval(self, settings: SystemConfig) -> timedelta:
        return settings.interval

    def monitor_name(self, settings: SystemConfig) -> str:
        return f"system:{host_name(settings)}"

    def poller(self, settings: SystemConfig, http: httpx.AsyncClient, clock: Clock, timeout: timedelta) -> SystemPoller:
        return SystemPoller(settings)


PULL = SystemPull()
