"""Host metrics: the arithmetic on chosen readings, and one pass over this machine's real psutil."""

from __future__ import annotations

import pytest

from alerthub.domain.signal import Signal
from alerthub.hub import Hub
from alerthub.sources.system import SystemConfig, SystemPoller, _is_real_disk
from support.clock import FakeClock
from support.fake_apis import alerts_of, supervisor_for


class ChosenProbe:
    def __init__(self) -> None:
        self.cpu = 12.0
        self.memory = 40.0
        self.disk_usage = {"/": 50.0}
        self.errors = {"eth0": 1_000_000, "eth1": 0}
        self.load = 0.5

    def cpu_percent(self) -> float:
        return self.cpu

    def memory_percent(self) -> float:
        return self.memory

    def disks(self) -> dict[str, float]:
        return dict(self.disk_usage)

    def network_errors(self) -> dict[str, int]:
        return dict(self.errors)

    def load_per_cpu(self) -> float | None:
        return self.load


def values(signals: list[Signal], rule: str) -> dict[str, float]:
    return {
        s.labels.get("mount") or s.labels.get("nic") or s.labels["host"]: s.value
        for s in signals
        if s.rule_name == rule
    }


async def test_network_errors_are_counted_per_interval_not_since_boot() -> None:
    probe = ChosenProbe()  # eth0 saw a million errors before the hub started
    poller = SystemPoller(SystemConfig(enabled=True, host="web1"), probe)

    probe.errors = {"eth0": 1_000_040, "eth1": 0}
    assert values(await poller.poll(), "system_network_error") == {"eth0": 40.0, "eth1": 0.0}

    probe.errors = {"eth0": 1_000_300, "eth1": 5, "wlan0": 9}  # wlan0 is new: nothing to compare yet
    assert values(await poller.poll(), "system_network_error") == {"eth0": 260.0, "eth1": 5.0}

    probe.errors = {"eth0": 3, "eth1": 5, "wlan0": 10}  # eth0's counters were reset
    assert values(await poller.poll(), "system_network_error") == {"eth1": 0.0, "wlan0": 1.0}


async def test_every_reading_carries_the_host_and_its_own_label() -> None:
    probe = ChosenProbe()
    probe.disk_usage = {"/": 50.0, "/var/lib/postgresql": 93.5}
    probe.load = 2.345
    signals = await SystemPoller(SystemConfig(enabled=True, host="web1"), probe).poll()

    by_rule = {s.rule_name for s in signals}
    assert by_rule == {
        "system_cpu_high",
        "system_memory_high",
        "system_disk_high",
        "system_network_error",
        "system_load_high",
    }
    assert all(s.labels["host"] == "web1" and s.source == "system" for s in signals)
    assert values(signals, "system_disk_high") == {"/": 50.0, "/var/lib/postgresql": 93.5}
    assert values(signals, "system_load_high") == {"web1": 2.35}


async def test_cpu_must_hold_before_it_pages_and_resolves_when_it_falls(hub: Hub, clock: FakeClock) -> None:
    probe = ChosenProbe()
    supervisor = supervisor_for(hub, SystemPoller(SystemConfig(enabled=True, host="web1"), probe))
    probe.cpu, probe.disk_usage = 97.0, {"/": 95.0}
    await supervisor.run_once()
    assert (await alerts_of(hub, "system_cpu_high"))["web1"].state == "pending"  # the rule's `for: 2m`
    assert (await alerts_of(hub, "system_disk_high"))["/"].state == "firing"

    clock.advance(150)
    await supervisor.run_once()
    assert (await alerts_of(hub, "system_cpu_high"))["web1"].state == "firing"

    probe.cpu, probe.disk_usage = 20.0, {"/": 60.0}
    clock.advance(60)
    await supervisor.run_once()
    assert (await alerts_of(hub, "system_cpu_high"))["web1"].state == "resolved"
    assert (await alerts_of(hub, "system_disk_high"))["/"].state == "resolved"


@pytest.mark.parametrize(
    ("device", "mount", "fstype", "real"),
    [
        ("/dev/sda1", "/", "ext4", True),
        ("/dev/nvme0n1p2", "/home", "btrfs", True),
        ("/dev/loop3", "/snap/core22/1380", "squashfs", False),
        ("tmpfs", "/run", "tmpfs", False),
        ("overlay", "/", "overlay", False),
        ("/dev/sdb1", "/snap/foo", "ext4", False),
    ],
)
def test_only_real_disks_count(device: str, mount: str, fstype: str, real: bool) -> None:
    assert _is_real_disk(device, mount, fstype) is real


async def test_reads_this_machine_with_psutil() -> None:
    poller = SystemPoller(SystemConfig(enabled=True))
    signals = await poller.poll()
    cpu = [s for s in signals if s.rule_name == "system_cpu_high"]
    memory = [s for s in signals if s.rule_name == "system_memory_high"]
    assert len(cpu) == 1 and 0 <= (cpu[0].value or 0) <= 100
    assert len(memory) == 1 and 0 < (memory[0].value or 0) <= 100
    assert cpu[0].labels["host"]
    assert all(s.labels.get("mount", "/").startswith("/") for s in signals)
