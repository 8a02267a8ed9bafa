"""More of the dashboard's messages, in the shape of i18n.py's table (which had reached the module-size
limit) and merged into it: the alert page's value chart, the Monitors page's heartbeats and sources."""

from __future__ import annotations

# key: (English, Korean)
MESSAGES: dict[str, tuple[str, str]] = {
    "vchart.aria": ("Value over time: {n} readings", "시간에 따른 값: 측정 {n}개"),
    "vchart.caption": ("The value over time: {n} readings", "시간에 따른 값: 측정 {n}개"),
    "mon.pollers": ("Pollers", "폴러"),
    "mon.heartbeats": ("Heartbeats", "하트비트"),
    "mon.sources": ("Signals by source", "소스별 수신 신호"),
    "mon.sources_hint": (
        "The last signal each source sent, and how many it sent in the last 24 hours.",
        "소스마다 마지막으로 보낸 신호와 최근 24시간 동안 보낸 신호 수입니다.",
    ),
    "hb.name": ("Heartbeat", "하트비트"),
    "hb.last_ping": ("Last ping", "마지막 핑"),
    "hb.every": ("Expected every", "예상 주기"),
    "hb.due": ("Due", "다음 기한"),
    "no_heartbeats": (
        "No heartbeats. Add one under heartbeats[] in the configuration, or have a cron job ping "
        "/api/heartbeats/NAME?expect_every=1d.",
        "하트비트가 없습니다. 설정의 heartbeats[]에 추가하거나, cron 작업에서 "
        "/api/heartbeats/NAME?expect_every=1d 를 호출하세요.",
    ),
    "src.source": ("Source", "출처"),
    "src.last_signal": ("Last signal", "마지막 신호"),
    "src.last_24h": ("Last 24 h", "최근 24시간"),
    "no_sources": ("No source has sent a signal in the last {d}.", "최근 {d} 동안 신호를 보낸 소스가 없습니다."),
    "js.hb.up": ("ok", "정상"),
    "js.hb.waiting": ("no ping yet", "아직 핑 없음"),
    "js.hb.late": ("late", "지연"),
    "js.hb.missing": ("missing", "끊김"),
    "js.hb.grace": ("+ {n} grace", "+ 유예 {n}"),
}
