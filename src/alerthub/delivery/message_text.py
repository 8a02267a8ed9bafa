"""The words a message is made of, in English and Korean. Templates take them from `t`, so one
template serves both languages and an override can use them too."""

from __future__ import annotations

from typing import Final

CATALOGUE: Final[dict[str, dict[str, str]]] = {
    "en": {
        "critical": "CRITICAL",
        "high": "HIGH",
        "warning": "WARNING",
        "info": "INFO",
        "firing": "Firing",
        "resolved": "Resolved",
        "acknowledged": "Acknowledged",
        "value": "Value",
        "threshold": "Threshold",
        "since": "Since",
        "count": "Occurrences",
        "labels": "Labels",
        "acknowledged_by": "Acknowledged by",
        "resolved_at": "Resolved at",
        "also_affected": "Also affected",
        "also_affected_n": "{n} held back while this fires: {names}",
        "source": "Source",
        "open": "Open in alerthub",
        "runbook": "Runbook",
        "action_ack": "Acknowledge",
        "action_resolve": "Resolve",
        "action_silence": "Silence 1h",
        "alerts": "{n} alerts",
        "more": "…and {n} more",
        "digest": "Digest: {n} alerts held back by the rate limit",
        "fallback": "Sent here because channel {channel} has been failing.",
        "fallback_tag": "fallback for {channel}",
        "test_title": "Test message from alerthub",
        "test_body": "If you can read this, channel {channel} works.",
    },
    "ko": {
        "critical": "심각",
        "high": "높음",
        "warning": "경고",
        "info": "정보",
        "firing": "발생",
        "resolved": "복구됨",
        "acknowledged": "확인됨",
        "value": "값",
        "threshold": "임계값",
        "since": "시작",
        "count": "발생 횟수",
        "labels": "레이블",
        "acknowledged_by": "확인자",
        "resolved_at": "복구 시각",
        "also_affected": "함께 영향받음",
        "also_affected_n": "이 장애 동안 보류된 알림 {n}건: {names}",
        "source": "원본",
        "open": "alerthub에서 보기",
        "runbook": "런북",
        "action_ack": "확인",
        "action_resolve": "해결",
        "action_silence": "1시간 무음",
        "alerts": "알림 {n}건",
        "more": "…외 {n}건",
        "digest": "요약: 전송 한도로 보류된 알림 {n}건",
        "fallback": "{channel} 채널 장애로 이 채널로 대신 보냅니다.",
        "fallback_tag": "{channel} 대체 전송",
        "test_title": "alerthub 테스트 메시지",
        "test_body": "이 메시지가 보이면 {channel} 채널이 정상입니다.",
    },
}


def words(language: str) -> dict[str, str]:
    return CATALOGUE.get(language, CATALOGUE["en"])
