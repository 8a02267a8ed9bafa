"""English and Korean for the dashboard. The page picks the `alerthub_lang` cookie (the switch), then
Accept-Language; the same messages go to the browser for what its script renders."""

from __future__ import annotations

LANGUAGES = ("en", "ko")
LANG_COOKIE = "alerthub_lang"

# key: (English, Korean)
_MESSAGES: dict[str, tuple[str, str]] = {
    "nav": ("Main", "메뉴"),
    "nav.alerts": ("Alerts", "알림"),
    "nav.silences": ("Silences", "무음"),
    "nav.rules": ("Rules", "규칙"),
    "nav.channels": ("Channels", "채널"),
    "nav.monitors": ("Monitors", "모니터"),
    "nav.notifications": ("Notifications", "발송 기록"),
    "nav.overview": ("Overview", "개요"),
    "language": ("Language", "언어"),
    "signed_in_as": ("Signed in as", "로그인 사용자"),
    "logout": ("Log out", "로그아웃"),
    "login": ("Log in", "로그인"),
    "username": ("User name", "사용자 이름"),
    "password": ("Password", "비밀번호"),
    "login_hint": ("Add a user with: alerthub users add NAME", "사용자 추가: alerthub users add NAME"),
    "login_failed": ("Wrong user name or password.", "사용자 이름 또는 비밀번호가 올바르지 않습니다."),
    "login_limited": (
        "Too many failed attempts. Try again in {s} s.",
        "실패가 너무 많습니다. {s}초 후 다시 시도하세요.",
    ),
    "login_open": (
        "No users exist yet: the hub is open on this machine.",
        "사용자가 없습니다: 이 컴퓨터에서는 로그인 없이 열려 있습니다.",
    ),
    "csrf_failed": (
        "The form expired. Reload the page and try again.",
        "양식이 만료되었습니다. 새로 고침 후 다시 시도하세요.",
    ),
    "open_mode": ("open (no login)", "공개 모드 (로그인 없음)"),
    "open_mode_hint": (
        "No users or tokens exist, so this hub is open to anyone on this machine.",
        "사용자나 토큰이 없어 이 컴퓨터의 누구나 접근할 수 있습니다.",
    ),
    "sev.info": ("info", "정보"),
    "sev.warning": ("warning", "경고"),
    "sev.high": ("high", "높음"),
    "sev.critical": ("critical", "심각"),
    "state.pending": ("pending", "대기"),
    "state.firing": ("firing", "발생"),
    "state.acknowledged": ("acknowledged", "확인됨"),
    "state.resolved": ("resolved", "복구됨"),
    "state.open": ("open", "미해결"),
    "live": ("live", "실시간"),
    "live_hint": ("New alerts appear here without reloading.", "새 알림이 새로 고침 없이 나타납니다."),
    "f.state": ("State", "상태"),
    "f.severity": ("Severity", "심각도"),
    "f.source": ("Source", "출처"),
    "f.rule": ("Rule", "규칙"),
    "f.label": ("Label", "레이블"),
    "f.text": ("Search", "검색"),
    "f.text_hint": ("rule, label or text", "규칙, 레이블, 내용"),
    "f.any": ("any", "전체"),
    "f.apply": ("Filter", "적용"),
    "f.clear": ("Clear", "초기화"),
    "col.severity": ("Severity", "심각도"),
    "col.alert": ("Alert", "알림"),
    "col.labels": ("Labels", "레이블"),
    "col.value": ("Value", "값"),
    "col.since": ("Since", "경과"),
    "col.count": ("Count", "횟수"),
    "col.actions": ("Actions", "작업"),
    "acked_by": ("acknowledged by", "확인자"),
    "act.ack": ("Acknowledge", "확인"),
    "act.resolve": ("Resolve", "해결"),
    "act.silence": ("Silence", "무음"),
    "no_alerts": ("Nothing is firing. All quiet.", "발생한 알림이 없습니다."),
    "truncated": (
        "Showing the first 300; narrow the filters to see more.",
        "처음 300개만 표시합니다. 필터를 좁혀 보세요.",
    ),
    "source": ("source", "출처"),
    "first_seen": ("first seen", "최초"),
    "last_seen": ("last seen", "최근"),
    "episode": ("episode", "회차"),
    "value_vs_thresholds": ("Value against thresholds", "값과 임계값"),
    "peak": ("peak", "최고"),
    "crossed": ("crossed", "초과"),
    "rule": ("Rule", "규칙"),
    "cooldown": ("cooldown", "재알림 간격"),
    "event_rule": ("event rule (no threshold)", "이벤트 규칙 (임계값 없음)"),
    "no_rule": ("The rule is no longer configured.", "이 규칙은 더 이상 설정에 없습니다."),
    "annotations": ("Annotations", "설명"),
    "links": ("Links", "링크"),
    "notifications": ("Notifications", "발송"),
    "channel": ("Channel", "채널"),
    "status": ("Status", "상태"),
    "attempts": ("Attempts", "시도"),
    "created": ("Created", "생성"),
    "last_error": ("Last error", "마지막 오류"),
    "nstatus.pending": ("pending", "대기"),
    "nstatus.sending": ("sending", "발송 중"),
    "nstatus.sent": ("sent", "발송됨"),
    "nstatus.failed": ("failed", "실패"),
    "nstatus.suppressed": ("suppressed", "억제됨"),
    "no_notifications": ("No notifications.", "발송 기록이 없습니다."),
    "history": ("History", "이력"),
    "when": ("When", "시각"),
    "what": ("What", "내용"),
    "who": ("Who", "주체"),
    "reason": ("Reason", "사유"),
    "kind.decision": ("pipeline", "파이프라인"),
    "kind.delivery": ("delivery", "발송"),
    "raw_payload": ("Raw payload", "원본 데이터"),
    "new_silence": ("New silence", "새 무음"),
    "from_alert": ("from", "대상"),
    "label_name": ("label", "레이블"),
    "label_value": ("value", "값"),
    "operator": ("operator", "연산자"),
    "remove": ("Remove", "삭제"),
    "add_matcher": ("matcher", "조건 추가"),
    "duration": ("Duration", "기간"),
    "comment": ("Comment", "메모"),
    "create_silence": ("Create silence", "무음 만들기"),
    "matchers": ("Matchers", "조건"),
    "starts": ("Starts", "시작"),
    "ends": ("Ends", "종료"),
    "created_by": ("Created by", "작성자"),
    "no_silences": ("No silences.", "무음이 없습니다."),
    "unavailable": ("This part of the hub is not available yet.", "이 기능은 아직 사용할 수 없습니다."),
    "thresholds": ("Thresholds", "임계값"),
    "for": ("For", "지속"),
    "resolves": ("Resolves", "해결 대상"),
    "builtin": ("built-in", "기본"),
    "configured": ("configured", "설정"),
    "type": ("Type", "종류"),
    "last_success": ("Last success", "마지막 성공"),
    "last_failure": ("Last failure", "마지막 실패"),
    "test": ("Test", "테스트"),
    "no_channels": ("No channels are configured.", "설정된 채널이 없습니다."),
    "monitor": ("Monitor", "모니터"),
    "last_run": ("Last run", "마지막 실행"),
    "next_run": ("Next run", "다음 실행"),
    "no_monitors": ("No monitors are active.", "활성 모니터가 없습니다."),
    "next_attempt": ("Next attempt", "다음 시도"),
    "kpi.fired": ("Alerts fired (7 days)", "발생 알림 (7일)"),
    "kpi.mtta": ("Mean time to acknowledge", "평균 확인 시간"),
    "kpi.mtta_hint": ("From firing to the first acknowledgement", "발생부터 첫 확인까지"),
    "kpi.acked": ("acknowledged", "건 확인"),
    "kpi.mttr": ("Mean time to resolve", "평균 해결 시간"),
    "kpi.mttr_hint": ("From firing to resolved", "발생부터 해결까지"),
    "kpi.resolved": ("resolved", "건 해결"),
    "kpi.open": ("Open now", "현재 미해결"),
    "chart_title": ("Alerts per hour by severity, last 7 days (UTC)", "시간별 알림 발생 (심각도별, 최근 7일, UTC)"),
    "chart_empty": ("Nothing fired in the last 7 days.", "최근 7일간 발생한 알림이 없습니다."),
    "noisiest": ("Noisiest rules", "가장 시끄러운 규칙"),
    "times_fired": ("Fired", "발생"),
    "distinct_alerts": ("Alerts", "알림 수"),
    "js.done_ack": ("Acknowledged", "확인했습니다"),
    "js.done_resolve": ("Resolved", "해결했습니다"),
    "js.silenced": ("Silence created", "무음을 만들었습니다"),
    "js.expire": ("Expire", "만료"),
    "js.expired": ("Silence expired", "무음이 만료되었습니다"),
    "js.sil.active": ("active", "활성"),
    "js.sil.pending": ("pending", "예정"),
    "js.sil.expired": ("expired", "만료"),
    "js.test_ok": ("Test message sent", "테스트 메시지 발송 성공"),
    "js.test_failed": ("Test failed", "테스트 실패"),
    "js.testing": ("Sending…", "발송 중…"),
    "js.retry": ("Retry", "재시도"),
    "js.retried": ("Queued for another attempt", "재시도 대기열에 넣었습니다"),
    "js.error": ("Failed", "실패"),
    "js.ok": ("ok", "정상"),
    "js.active_n": ("{n} active", "활성 {n}개"),
    "js.changed": ("This alert has changed since the page loaded.", "페이지를 연 뒤 이 알림이 바뀌었습니다."),
    "js.reload": ("Reload", "새로 고침"),
    "js.never": ("never", "없음"),
    "js.ago": ("{n} ago", "{n} 전"),
    "js.in": ("in {n}", "{n} 후"),
    "js.now": ("just now", "방금"),
    "js.offline": ("Live updates paused; reconnecting…", "실시간 연결 끊김, 재연결 중…"),
    "js.matcher_needed": ("Add at least one matcher.", "조건을 하나 이상 추가하세요."),
}

UNITS = {"en": ("s", "m", "h", "d"), "ko": ("초", "분", "시간", "일")}


def translator(lang: str) -> dict[str, str]:
    index = LANGUAGES.index(lang) if lang in LANGUAGES else 0
    return {key: pair[index] for key, pair in _MESSAGES.items()}


def pick(cookie: str | None, accept_language: str | None) -> str:
    if cookie in LANGUAGES:
        return str(cookie)
    best, best_q = "en", -1.0
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and q > 0 and q > best_q:  # q=0 means "not this one"
            best, best_q = primary, q
    return best


def duration(seconds: float, lang: str) -> str:
    s, m, h, d = UNITS.get(lang, UNITS["en"])
    value = int(round(seconds))
    if value < 60:
        return f"{value}{s}"
    if value < 3600:
        return f"{value // 60}{m}" + (f" {value % 60}{s}" if value % 60 and value < 600 else "")
    if value < 86400:
        return f"{value // 3600}{h}" + (f" {value % 3600 // 60}{m}" if value % 3600 // 60 else "")
    return f"{value // 86400}{d}" + (f" {value % 86400 // 3600}{h}" if value % 86400 // 3600 else "")
