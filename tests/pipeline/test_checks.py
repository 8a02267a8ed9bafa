"""Pipeline configuration problems come with their locations, and stop start-up cleanly."""

from __future__ import annotations

from typing import Any

import pytest

from alerthub.config.models import Config
from alerthub.errors import ConfigError
from alerthub.hub import build_hub
from alerthub.pipeline.route_checks import pipeline_problems

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


def test_patterns_re2_cannot_run_are_located_wherever_they_are() -> None:
    config = {
        "route": {"routes": [{"match_re": {"host": r"(a)\1"}, "routes": [{"matchers": ['host=~"(?=x)"']}]}]},
        "inhibit_rules": [{"target_match_re": {"service": "(?<=a)b"}}],
    }
    found = pipeline_problems(Config.model_validate(config))
    assert [(p.location, p.message) for p in found] == [
        ("route.routes[0].match_re.host", r"not a valid regular expression (RE2 syntax): invalid escape sequence: \1"),
        (
            "route.routes[0].routes[0].matchers[0]",
            "host=~'(?=x)': not a valid regular expression (RE2 syntax): invalid perl operator: (?=",
        ),
        (
            "inhibit_rules[0].target_match_re.service",
            "not a valid regular expression (RE2 syntax): invalid perl operator: (?<=",
        ),
    ]


def test_re2_syntax_is_accepted_in_every_place() -> None:
    """Alertmanager's configs are RE2: `\\pL`, `[[:alpha:]]` and a `(?i)` flag must pass (Python's re refused them)."""
    config = {
        "route": {"routes": [{"match_re": {"host": r"\pL+"}, "matchers": ['team=~"(?i)ops"']}]},
        "inhibit_rules": [{"source_match_re": {"service": "[[:alpha:]]+"}, "target_matchers": ['env!~"(?i)dev"']}],
    }
    assert pipeline_problems(Config.model_validate(config)) == []
