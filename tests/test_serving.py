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


def test_auto_workers_are_one_per_core_on_postgresql_and_one_on_sqlite() -> None:
    import os

    from alerthub.config.models import Config
    from alerthub.serving import worker_count

    cores = len(os.sched_getaffinity(0))
    postgres = Config.model_validate({"storage": {"url": "postgresql://db/alerthub"}})
    assert worker_count(postgres) == cores
    assert worker_count(Config.model_validate({"storage": {"url": "sqlite:///./a.db"}})) == 1
    pinned = Config.model_validate({"storage": {"url": "postgresql://db/alerthub"}, "server": {"workers": 3}})
    assert worker_count(pinned) == 3
