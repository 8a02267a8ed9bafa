"""The summaries alerthub's own sources write, in English and Korean, from one catalogue.

A source writes the English sentence into the alert (the API, the dashboard and Alertmanager clients
read it as it is); a channel with `language: ko` reads the same sentence back through its English
form and says it in Korean. Both directions use the same entry, so a summary written here is always
recognised, and text from anywhere else (a sender's own summary, a rule's template) passes unchanged.
"""

from __future__ import annotations

import re
from functools import cache
from string import Formatter
from typing import Final

# key: (English, Korean), read back in this order, so a longer form comes before a shorter form it
# extends. Fields are str.format names; a field whose name starts with `duration` holds a span such
# as `1h 2m`, one named `day` an English weekday: both are said in the reader's language too.
SUMMARIES: Final[dict[str, tuple[str, str]]] = {
    "down_because": ("{name} is down: {errors}", "{name} 다운: {errors}"),
    "down": ("{name} is down", "{name} 다운"),
    "up_after": ("{name} is back up after {duration}", "{name} 복구됨 ({duration} 동안 다운)"),
    "up": ("{name} is back up", "{name} 복구됨"),
    "maintenance": ("{name} is under maintenance", "{name} 점검 중"),
    "uptime": ("{name} uptime is {uptime}", "{name} 업타임 {uptime}"),
    "response_time": ("{name} responds in {ms} ms on average", "{name} 평균 응답 시간 {ms} ms"),
    "blacklisted_on": (
        "{name} is listed on {count} blacklist(s): {lists}",
        "{name} 블랙리스트 {count}곳에 등재: {lists}",
    ),
    "blacklisted": ("{name} is listed on {count} blacklist(s)", "{name} 블랙리스트 {count}곳에 등재"),
    "not_blacklisted": ("{name} is no longer blacklisted", "{name} 블랙리스트에서 해제됨"),
    "sentry_errors": (
        "{count} errors in Sentry project {project} in the last hour",
        "Sentry 프로젝트 {project}: 최근 1시간 동안 에러 {count}건",
    ),
    "sentry_slow": (
        "{count} transactions slower than {seconds} s in Sentry project {project} in the last hour",
        "Sentry 프로젝트 {project}: 최근 1시간 동안 {seconds}초보다 느린 트랜잭션 {count}건",
    ),
    "ga4_traffic": (
        "{rate} page views/hour now; usual for {day} {hour}:00 is {usual}",
        "현재 시간당 페이지 뷰 {rate}; {day} {hour}시 평소 {usual}",
    ),
    "ga4_users": (
        "{users} active users in the last 30 minutes; usual for {day} {hour}:00 is {usual}",
        "최근 30분 활성 사용자 {users}명; {day} {hour}시 평소 {usual}명",
    ),
    "ga4_error_pages": (
        "{count} views of error pages in the last hour or two",
        "최근 1~2시간 동안 오류 페이지 조회 {count}회",
    ),
    "ga4_event": ("{event}: {count} events in the last 30 minutes", "{event}: 최근 30분 동안 이벤트 {count}회"),
    "cpu": ("{host}: CPU {value}%", "{host}: CPU 사용률 {value}%"),
    "memory": ("{host}: memory {value}% used", "{host}: 메모리 사용률 {value}%"),
    "disk": ("{host}: disk {value}% used", "{host}: 디스크 사용률 {value}%"),
    "load": ("{host}: load {value} per CPU", "{host}: CPU당 부하 {value}"),
    "network_errors": (
        "{host}: {value} network errors since the last check",
        "{host}: 지난 확인 이후 네트워크 오류 {value}건",
    ),
    "heartbeat_silent_grace": (
        "{name} has not pinged for {duration}; expected every {duration_every} + {duration_grace} grace",
        "{name}: {duration} 동안 신호 없음 (예상 주기 {duration_every}, 유예 {duration_grace})",
    ),
    "heartbeat_silent": (
        "{name} has not pinged for {duration}; expected every {duration_every}",
        "{name}: {duration} 동안 신호 없음 (예상 주기 {duration_every})",
    ),
    "heartbeat_never_grace": (
        "{name} has never pinged ({duration} since set-up); expected every {duration_every} + {duration_grace} grace",
        "{name}: 설정 후 {duration} 동안 신호가 한 번도 없음 (예상 주기 {duration_every}, 유예 {duration_grace})",
    ),
    "heartbeat_never": (
        "{name} has never pinged ({duration} since set-up); expected every {duration_every}",
        "{name}: 설정 후 {duration} 동안 신호가 한 번도 없음 (예상 주기 {duration_every})",
    ),
    "heartbeat_back": (
        "{name} is back: pinged after being missing {duration}",
        "{name} 복구됨: {duration} 동안 없던 신호가 다시 들어옴",
    ),
    "heartbeat_deleted": ("heartbeat {name} was deleted", "하트비트 {name} 삭제됨"),
    "poller_failing": ("The {name} poller failed {count} times in a row", "{name} 수집기가 연속 {count}회 실패"),
}

_KO_UNITS = {"d": "일", "h": "시간", "m": "분", "s": "초"}
_KO_DAYS = {
    "Monday": "월요일",
    "Tuesday": "화요일",
    "Wednesday": "수요일",
    "Thursday": "목요일",
    "Friday": "금요일",
    "Saturday": "토요일",
    "Sunday": "일요일",
}
# Words a field may hold on its own.
_KO_WORDS = {"no history": "기록 없음", "unknown": "알 수 없음"}
_SPAN = re.compile(r"(\d+)([dhms])\b")


def say(key: str, **fields: object) -> str:
    """The English summary a source stores."""
    return SUMMARIES[key][0].format(**fields)


def translate(text: str, language: str) -> str:
    """`text` in `language` when it is one of the catalogue's English sentences; else unchanged."""
    if language != "ko" or not text:
        return text
    for key, (_, korean) in SUMMARIES.items():
        found = _english(key).fullmatch(text)
        if found is not None:
            return korean.format(**{name: _korean_field(name, value) for name, value in found.groupdict().items()})
    return text


@cache
def _english(key: str) -> re.Pattern[str]:
    parts = []
    for literal, field, _, _ in Formatter().parse(SUMMARIES[key][0]):
        parts.append(re.escape(literal))
        if field:
            parts.append(f"(?P<{field}>.+?)")
    return re.compile("".join(parts), re.DOTALL)


def _korean_field(name: str, value: str) -> str:
    if name.startswith("duration"):
        return _SPAN.sub(lambda m: m.group(1) + _KO_UNITS[m.group(2)], value)
    if name == "day":
        return _KO_DAYS.get(value, value)
    return _KO_WORDS.get(value, value)
