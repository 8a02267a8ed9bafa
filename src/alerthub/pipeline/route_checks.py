"""Configuration problems only the pipeline can see (matcher strings, regexes, time interval specs),
each with its location, so a typo stops start-up with a clear message instead of a traceback."""

from __future__ import annotations

from alerthub.config.models import Config, RouteConfig
from alerthub.errors import ConfigError, Problem
from alerthub.pipeline.matchers import MatcherError, RegexError, from_config, parse_matchers
from alerthub.pipeline.timeintervals import build_time_intervals


def pipeline_problems(config: Config) -> list[Problem]:
    problems = _route(config.route, "route")
    for i, rule in enumerate(config.inhibit_rules):
        where = f"inhibit_rules[{i}]"
        problems += _matchers(
            rule.source_match_re, rule.source_matchers, f"{where}.source_match_re", f"{where}.source_matchers"
        )
        problems += _matchers(
            rule.target_match_re, rule.target_matchers, f"{where}.target_match_re", f"{where}.target_matchers"
        )
    for i, asset in enumerate(config.assets):
        problems += _matchers({}, asset.matchers, "", f"assets[{i}].matchers")
    for i, dependency in enumerate(config.dependencies):
        problems += _matchers({}, dependency.cause, "", f"dependencies[{i}].cause")
        problems += _matchers({}, dependency.suppress, "", f"dependencies[{i}].suppress")
    try:
        build_time_intervals(config.time_intervals)
    except ConfigError as exc:
        problems += exc.problems
    return problems


def check_pipeline_config(config: Config) -> None:
    problems = pipeline_problems(config)
    if problems:
        raise ConfigError(problems)


def _route(route: RouteConfig, where: str) -> list[Problem]:
    problems = _matchers(route.match_re, route.matchers, f"{where}.match_re", f"{where}.matchers")
    for i, child in enumerate(route.routes):
        problems += _route(child, f"{where}.routes[{i}]")
    return problems


def _matchers(match_re: dict[str, str], matchers: list[str], re_where: str, list_where: str) -> list[Problem]:
    problems: list[Problem] = []
    for name, pattern in match_re.items():
        try:
            from_config(match_re={name: pattern})
        except RegexError as exc:
            problems.append(Problem(f"{re_where}.{name}", f"not a valid regular expression (RE2 syntax): {exc.reason}"))
        except MatcherError as exc:
            problems.append(Problem(f"{re_where}.{name}", str(exc)))
    for j, text in enumerate(matchers):
        try:
            parse_matchers(text)
        except MatcherError as exc:
            problems.append(Problem(f"{list_where}[{j}]", str(exc)))
    return problems
