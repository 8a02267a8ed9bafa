"""The garbage-collector tuning `serve` applies. Run in a child interpreter: freezing is for the life of
a process and would hold this test process's own garbage forever."""

from __future__ import annotations

import subprocess
import sys
import textwrap

CHILD = textwrap.dedent(
    """
    import gc, weakref
    from alerthub.serving import GC_YOUNG_THRESHOLD, tune_garbage_collector

    class Node:
        pass

    def cycle():
        a, b = Node(), Node()
        a.other, b.other = b, a
        return weakref.ref(a)

    before = cycle()  # garbage already when the server starts: collected, not frozen
    tune_garbage_collector()
    assert before() is None, "start-up garbage was frozen"
    assert gc.get_freeze_count() > 1000, gc.get_freeze_count()
    assert gc.get_threshold()[0] == GC_YOUNG_THRESHOLD

    later = cycle()  # a cycle made while serving is still collected by the automatic collector
    churn = [[i] for i in range(GC_YOUNG_THRESHOLD * 3)]
    assert later() is None, "a reference cycle made after start-up was never collected"
    print("ok")
    """
)


def test_serve_freezes_start_up_objects_and_still_collects_later_cycles() -> None:
    done = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_one_worker_by_default_and_auto_is_one_per_core_on_postgresql_only() -> None:
    import os

    from alerthub.config.models import Config
    from alerthub.serving import worker_count

    cores = len(os.sched_getaffinity(0))
    auto = {"workers": "auto"}
    postgres = Config.model_validate({"storage": {"url": "postgresql://db/alerthub"}, "server": auto})
    assert worker_count(postgres) == cores
    assert worker_count(Config.model_validate({"storage": {"url": "sqlite:///./a.db"}, "server": auto})) == 1
    assert worker_count(Config.model_validate({"storage": {"url": "postgresql://db/alerthub"}})) == 1
    pinned = Config.model_validate({"storage": {"url": "postgresql://db/alerthub"}, "server": {"workers": 3}})
    assert worker_count(pinned) == 3


def test_a_worker_count_out_of_range_is_named_in_the_error() -> None:
    import pytest
    from pydantic import ValidationError

    from alerthub.config.models import ServerConfig

    for wrong in (0, 65, "many", True):
        with pytest.raises(ValidationError, match="from 1 to 64, or auto"):
            ServerConfig.model_validate({"workers": wrong})
