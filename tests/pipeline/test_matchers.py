"""Matchers with Alertmanager's semantics: operators, quoting, full anchoring, missing labels."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alerthub.domain.silence import LabelMatcher
from alerthub.pipeline.matchers import Matcher, MatcherError, MatchType, from_config, parse_matchers

LABELS = {"severity": "critical", "service": "api", "path": "/a,b"}


@pytest.mark.parametrize(
    ("text", "matches"),
    [
        ('severity="critical"', True),
        ("severity=critical", True),
        ('severity!="critical"', False),
        ('severity=~"high|critical"', True),
        ('severity=~"crit"', False),  # anchored: a regex must match the whole value
        ('severity=~"crit.*"', True),
        ('severity!~"high|critical"', False),
        ('team=""', True),  # a missing label reads as ""
        ('team!=""', False),
        ('team=~".*"', True),
        ('path="/a,b"', True),  # a comma inside quotes is part of the value
        ('{service="api", severity=~"warning|critical"}', True),
        ('service="api",severity="warning"', False),
        (r'service="a\"pi"', False),
    ],
)
def test_parse_and_match(text: str, matches: bool) -> None:
    assert all(m.matches(LABELS) for m in parse_matchers(text)) is matches


def test_escapes_are_read() -> None:
    [m] = parse_matchers(r'msg="say \"hi\"\n"')
    assert m.value == 'say "hi"\n'
    assert str(m) == r'msg="say \"hi\"\n"'


@pytest.mark.parametrize("text", ["severity", "=x", 'a="x', 'a=~"("', "{a=b", 'a="x" b="y"', ""])
def test_bad_matchers_say_why(text: str) -> None:
    with pytest.raises(MatcherError):
        parse_matchers(text)


def test_config_forms_combine() -> None:
    matchers = from_config({"service": "api"}, {"severity": "high|critical"}, ['path=~"/a.*"'])
    assert matchers.matches(LABELS)
    assert not matchers.matches({**LABELS, "service": "web"})
    assert str(matchers) == '{service="api",severity=~"high|critical",path=~"/a.*"}'


@pytest.mark.parametrize(
    ("is_regex", "is_equal", "type_"),
    [
        (False, True, MatchType.EQUAL),
        (False, False, MatchType.NOT_EQUAL),
        (True, True, MatchType.REGEX),
        (True, False, MatchType.NOT_REGEX),
    ],
)
def test_silence_matcher_objects(is_regex: bool, is_equal: bool, type_: MatchType) -> None:
    assert Matcher.from_label_matcher(LabelMatcher("a", "b", is_regex, is_equal)).type is type_


@given(
    name=st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True),
    value=st.text(max_size=40),
    type_=st.sampled_from([MatchType.EQUAL, MatchType.NOT_EQUAL]),
)
def test_a_matcher_printed_parses_back_to_itself(name: str, value: str, type_: MatchType) -> None:
    original = Matcher.of(name, type_, value)
    [parsed] = parse_matchers(str(original))
    assert parsed == original
    assert parsed.matches({name: value}) is (type_ is MatchType.EQUAL)


def test_a_backtracking_pattern_is_matched_in_linear_time() -> None:
    """RE2, as Alertmanager: Python's `re` spends about a second and a half on this value (doubling with
    each further "a"); the pipeline matches it per alert on the event loop."""
    matcher = Matcher.of("host", MatchType.REGEX, "(a+)+$")
    started = time.perf_counter()
    assert not matcher.matches({"host": "a" * 24 + "b"})
    assert time.perf_counter() - started < 0.05
    assert matcher.matches({"host": "aaaa"})


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        (r"(a)\1", "invalid escape sequence"),  # a backreference
        ("(?=x)", "invalid perl operator"),  # lookahead
        ("(?<=a)b", "invalid perl operator"),  # lookbehind
        ("a{1001}", "invalid repetition size"),  # RE2's (and Go's) repeat limit
    ],
)
def test_patterns_re2_cannot_run_are_refused_naming_the_matcher(pattern: str, why: str) -> None:
    with pytest.raises(MatcherError) as refused:
        Matcher.of("host", MatchType.NOT_REGEX, pattern)
    message = str(refused.value)
    assert message.startswith(f"host!~{pattern!r}: not a valid regular expression (RE2 syntax): ")
    assert why in message
    with pytest.raises(MatcherError):
        parse_matchers(f'host=~"{pattern}"'.replace("\\", "\\\\"))


@pytest.mark.parametrize(
    ("pattern", "value"),
    [(r"\pL+", "héllo"), ("[[:alpha:]]+", "abc"), (r"api\z", "api"), ("(?i)CRITICAL", "critical")],
)
def test_re2_syntax_that_pythons_re_lacks_is_accepted(pattern: str, value: str) -> None:
    assert Matcher.of("v", MatchType.REGEX, pattern).matches({"v": value})


def test_regex_edge_values() -> None:
    assert Matcher.of("msg", MatchType.REGEX, "a.b").matches({"msg": "a\nb"})  # `.` takes a newline, as before
    assert Matcher.of("msg", MatchType.REGEX, ".*").matches({"msg": "\ud800"})  # a lone surrogate from JSON
    assert not Matcher.of("msg", MatchType.REGEX, "x").matches({"msg": "\ud800"})
    # Anchored like Alertmanager's `^(?:regex)$`: the whole value, however the pattern ends.
    assert not Matcher.of("msg", MatchType.REGEX, "a|b").matches({"msg": "ab"})
    assert Matcher.of("msg", MatchType.REGEX, "a|b").matches({"msg": "b"})
