"""Pipeline configuration problems come with their locations, and stop start-up cleanly."""

from __future__ import annotations

from typing import Any

import pytest

from alerthub.config.models import Config
from alerthub.errors import ConfigError
from alerthub.hub import build_hub
from alerthub.pipeline.checks import pipeline_problems

BAD: dict[str, Any] = {
    "route": {"routes": [{"matchers": ['severity=~"("']}, {"routes": [{"matchers": ["severity"]}]}]},
    "inhibit_rules": [{"source_match_re": {"a": "["}, "target_matchers": ["b!~)"]}],
    "time_intervals": [{"name": "n", "time_intervals": [{"weekdays": ["someday"]}]}],
}


def test_every_problem_has_its_location() -> None:
    locations = [p.location for p in pipeline_problems(Config.model_validate(BAD))]
    assert locations == [
        "route.routes[0].matchers[0]",
        "route.routes[1].routes[0].matchers[0]",
        "inhibit_rules[0].source_match_re.a",
        "inhibit_rules[0].target_matchers[0]",
        "time_intervals[0].time_intervals[0].weekdays[0]",
    ]


def test_a_good_config_has_none() -> None:
    good = {"route": {"routes": [{"matchers": ['severity=~"high|critical"', "team!=web"]}]}}
    assert pipeline_problems(Config.model_validate(good)) == []


def test_build_hub_refuses_a_bad_pipeline(tmp_path: Any) -> None:
    with pytest.raises(ConfigError) as caught:
        build_hub(Config.model_validate({**BAD, "storage": {"url": f"sqlite:///{tmp_path}/x.db"}}))
    assert len(caught.value.problems) == 5
