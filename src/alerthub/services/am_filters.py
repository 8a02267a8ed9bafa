"""The `filter` and `receiver` query parameters of Alertmanager's API v2, with Alertmanager's semantics
(api/v2/api.go: `parseFilter`, `matchFilterLabels`, `CheckSilenceMatchesFilterLabels`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from alerthub.domain.silence import LabelMatcher, Silence
from alerthub.errors import InputError, Problem
from alerthub.pipeline.matchers import Matcher, MatcherError, MatchType, parse_matchers


def parse_filters(texts: Iterable[str], where: str = "query.filter") -> tuple[Matcher, ...]:
    """Each `filter` value (`name=value`, `name!=value`, `name=~re`, `name!~re`, optionally in `{...}`),
    as Alertmanager answers a bad one: 400, naming the parameter."""
    out: list[Matcher] = []
    for i, text in enumerate(texts):
        try:
            out += parse_matchers(text)
        except MatcherError as exc:
            raise InputError(f"invalid filter {text!r}: {exc}", [Problem(f"{where}[{i}]", str(exc))], 400) from None
    return tuple(out)


def receiver_filter(text: str | None) -> Matcher | None:
    """The `receiver` parameter: a regex the whole receiver name must match (Alertmanager anchors it)."""
    if text is None or text == "":
        return None
    try:
        return Matcher.of("receiver", MatchType.REGEX, text)
    except MatcherError as exc:
        raise InputError(f"invalid receiver regex: {exc}", [Problem("query.receiver", str(exc))], 400) from None


def any_receiver_matches(pattern: Matcher | None, receivers: Iterable[str]) -> bool:
    return pattern is None or any(pattern.matches({"receiver": name}) for name in receivers)


def labels_match(matchers: Sequence[Matcher], labels: Mapping[str, str]) -> bool:
    """Every filter matcher matches. As in Alertmanager, `name=""` also matches an alert without the label
    and `name!=""` one that has it, whatever its value."""
    for m in matchers:
        present = m.name in labels
        if m.type in (MatchType.NOT_EQUAL, MatchType.NOT_REGEX):
            if m.value == "" and present:
                continue
        elif m.value == "" and not present:
            continue
        if not m.matches(labels):
            return False
    return True


def silence_matches(silence: Silence, matchers: Sequence[Matcher]) -> bool:
    """A silence is listed when each filter matcher is one of its own matchers: same name, same operator,
    same value. Alertmanager compares the matchers as written; it does not evaluate them."""
    own = {(m.name, _type(m), m.value) for m in silence.matchers}
    return all((m.name, m.type, m.value) in own for m in matchers)


def _type(m: LabelMatcher) -> MatchType:
    if m.is_regex:
        return MatchType.REGEX if m.is_equal else MatchType.NOT_REGEX
    return MatchType.EQUAL if m.is_equal else MatchType.NOT_EQUAL
