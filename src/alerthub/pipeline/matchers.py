"""Label matchers with Alertmanager's semantics.

`name=value`, `name!=value`, `name=~regex`, `name!~regex`; values may be quoted (`"high|critical"`) with
`\\"`, `\\\\` and `\\n` escapes. A missing label reads as the empty string, and a regex must match the whole
value (Alertmanager anchors it as `^(?:regex)$`).

Regexes are RE2, as Alertmanager's (Go's regexp is RE2): matching takes time linear in the value, where
Python's backtracking `re` can spend hours on one value (`(a+)+$` against `"a"*40 + "b"`), holding the
event loop and every request with it. RE2 has no backreferences or lookaround; such a pattern is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import re2

from alerthub.domain.silence import LabelMatcher


class MatchType(StrEnum):
    EQUAL = "="
    NOT_EQUAL = "!="
    REGEX = "=~"
    NOT_REGEX = "!~"


class MatcherError(ValueError):
    """A matcher string or regex that cannot be understood; the message says why."""


class RegexError(MatcherError):
    """A pattern RE2 cannot compile; `reason` is RE2's own words (`invalid perl operator: (?=`)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


_OPTIONS = re2.Options()
_OPTIONS.dot_nl = True  # `.` matches a newline too, as it did before RE2 (Python's re.DOTALL)
_OPTIONS.never_capture = True  # only "does it match" is asked: no submatches to track
_OPTIONS.log_errors = False  # a refused pattern is told to whoever sent it, not written to stderr
_WHOLE = re2._re2.RE2.Anchor.ANCHOR_BOTH


class Regex:
    """An RE2 pattern that only answers whether it matches a whole value. It calls the binding the
    `re2` module wraps: the module's `fullmatch` maps byte offsets back to str positions for a match
    object, about 16 µs a call where this is about 2 µs, and the pipeline asks per alert per matcher."""

    __slots__ = ("_compiled",)

    def __init__(self, pattern: str) -> None:
        compiled = re2._re2.RE2(_utf8(f"^(?:{pattern})$"), _OPTIONS)
        if not compiled.ok():
            raise RegexError(pattern, compiled.error().decode("utf-8", "replace"))
        self._compiled = compiled

    def fullmatch(self, value: str) -> bool:
        text = _utf8(value)
        span: tuple[int, int] = self._compiled.Match(_WHOLE, text, 0, len(text))[0]
        return span[0] >= 0


def _utf8(text: str) -> bytes:
    # A lone surrogate (JSON allows `"\ud800"`) has no strict UTF-8 form and would raise here; kept as
    # its three bytes, `.*` still matches it and an ordinary literal does not.
    return text.encode("utf-8", "surrogatepass")


@dataclass(frozen=True, slots=True)
class Matcher:
    name: str
    type: MatchType
    value: str
    _regex: Regex | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, name: str, type_: MatchType, value: str) -> Matcher:
        if not name:
            raise MatcherError("a matcher needs a label name")
        regex = None
        if type_ in (MatchType.REGEX, MatchType.NOT_REGEX):
            try:
                regex = Regex(value)
            except RegexError as exc:
                message = f"{name}{type_.value}{value!r}: not a valid regular expression (RE2 syntax): {exc.reason}"
                raise RegexError(message, exc.reason) from None
        return cls(name, type_, value, regex)

    @classmethod
    def from_label_matcher(cls, m: LabelMatcher) -> Matcher:
        if m.is_regex:
            return cls.of(m.name, MatchType.REGEX if m.is_equal else MatchType.NOT_REGEX, m.value)
        return cls.of(m.name, MatchType.EQUAL if m.is_equal else MatchType.NOT_EQUAL, m.value)

    def matches(self, labels: Mapping[str, str]) -> bool:
        value = labels.get(self.name, "")
        if self.type is MatchType.EQUAL:
            return value == self.value
        if self.type is MatchType.NOT_EQUAL:
            return value != self.value
        assert self._regex is not None
        found = self._regex.fullmatch(value)
        return found if self.type is MatchType.REGEX else not found

    def __str__(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'{self.name}{self.type.value}"{escaped}"'


@dataclass(frozen=True, slots=True)
class Matchers:
    """All must match (an empty set matches everything)."""

    items: tuple[Matcher, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(m.matches(labels) for m in self.items)

    def __bool__(self) -> bool:
        return bool(self.items)

    def __str__(self) -> str:
        return "{" + ",".join(str(m) for m in self.items) + "}"


def from_config(
    match: Mapping[str, str] | None = None,
    match_re: Mapping[str, str] | None = None,
    matchers: Iterable[str] = (),
) -> Matchers:
    """The three ways a config names matchers (`match`, `match_re`, `matchers` strings), as one set."""
    items = [Matcher.of(n, MatchType.EQUAL, v) for n, v in sorted((match or {}).items())]
    items += [Matcher.of(n, MatchType.REGEX, v) for n, v in sorted((match_re or {}).items())]
    for text in matchers:
        items += parse_matchers(text)
    return Matchers(tuple(items))


_NAME = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_.:-]*|"(?:[^"\\]|\\.)*")\s*(=~|!~|!=|=)\s*')


def parse_matchers(text: str) -> list[Matcher]:
    """`severity=~"high|critical"`, or several separated by commas, optionally inside `{...}`."""
    body = text.strip()
    if body.startswith("{"):
        if not body.endswith("}"):
            raise MatcherError(f"{text!r}: missing closing '}}'")
        body = body[1:-1]
    out: list[Matcher] = []
    pos = 0
    while pos < len(body):
        if not body[pos:].strip():
            break
        head = _NAME.match(body, pos)
        if head is None:
            raise MatcherError(f"{text!r}: expected name=value, name!=value, name=~regex or name!~regex")
        name = _unquote(head.group(1)) if head.group(1).startswith('"') else head.group(1)
        value, pos = _value(body, head.end(), text)
        out.append(Matcher.of(name, MatchType(head.group(2)), value))
        rest = body[pos:].lstrip()
        if rest.startswith(","):
            pos = len(body) - len(rest) + 1
        elif rest:
            raise MatcherError(f"{text!r}: unexpected {rest[:20]!r} after a matcher")
        else:
            break
    if not out:
        raise MatcherError(f"{text!r}: no matcher found")
    return out


def _value(body: str, start: int, text: str) -> tuple[str, int]:
    if start < len(body) and body[start] == '"':
        end = start + 1
        while end < len(body):
            if body[end] == "\\":
                end += 2
                continue
            if body[end] == '"':
                return _unquote(body[start : end + 1]), end + 1
            end += 1
        raise MatcherError(f"{text!r}: unterminated quoted value")
    end = start
    while end < len(body) and body[end] != ",":
        end += 1
    return body[start:end].strip(), end


def _unquote(quoted: str) -> str:
    inner = quoted[1:-1]
    out: list[str] = []
    i = 0
    while i < len(inner):
        ch = inner[i]
        if ch == "\\" and i + 1 < len(inner):
            nxt = inner[i + 1]
            out.append({"n": "\n", "t": "\t"}.get(nxt, nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def alert_labels(labels: Mapping[str, str], rule_name: str, severity: str) -> dict[str, str]:
    """The labels routing, silences and inhibition see: the alert's, plus `alertname` and `severity`."""
    return {**labels, "alertname": rule_name, "severity": severity}
