"""The dashboard's pages. Thin: each reads through a service and renders a template; what changes
state goes through the JSON API (called by the page's script with the session's CSRF header)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from alerthub.api.auth import principal_of
from alerthub.domain.alert import Alert
from alerthub.domain.rule import Rule
from alerthub.domain.severity import Severity
from alerthub.errors import NotFoundError
from alerthub.hub import Hub
from alerthub.services.actions import ActionService
from alerthub.services.auth import AuthService
from alerthub.services.dashboard import BoardRow, DashboardService
from alerthub.services.silences import SilenceService
from alerthub.store.stats import SEVERITY_RANK, BoardFilter
from alerthub.web import actions, chart, forms, i18n, value_chart
from alerthub.web import oncall as oncall_page
from alerthub.web.render import Pages, is_safe_url

router = APIRouter(include_in_schema=False)
BOARD_LIMIT = 300
OPEN_STATES = ("pending", "firing", "acknowledged")
SILENCE_DURATIONS = (1800, 3600, 7200, 14400, 28800, 86400, 259200, 604800)
SUMMARY_KEYS = ("summary", "title", "description", "message", "additional_info")


def _pages(request: Request) -> Pages:
    pages: Pages = request.app.state.pages
    return pages


def _dashboard(request: Request) -> DashboardService:
    service: DashboardService = request.app.state.dashboard
    return service


def summary(a: Alert) -> str:
    return next((a.annotations[k] for k in SUMMARY_KEYS if a.annotations.get(k)), "")


@dataclass(frozen=True)
class FilterForm:
    state: str = ""
    severity: str = ""
    source: str = ""
    rule: str = ""
    label: str = ""
    q: str = ""
    paged: str = ""  # `me`: the alerts an escalation paged the signed-in person about
    problems: list[str] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return any((self.state, self.severity, self.source, self.rule, self.label, self.q, self.paged))

    @property
    def as_json(self) -> dict[str, str]:
        return {k: getattr(self, k) for k in _FILTER_KEYS}

    @classmethod
    def parse(cls, query: dict[str, str]) -> FilterForm:
        values = {k: query.get(k, "").strip()[:200] for k in _FILTER_KEYS}
        problems = []
        if values["paged"] not in ("", "me"):
            problems.append(f"paged={values['paged']!r}: only paged=me is known")
            values["paged"] = ""
        if values["state"] and values["state"] not in (*OPEN_STATES, "resolved", "open"):
            problems.append(f"unknown state {values['state']!r}")
            values["state"] = ""
        if values["severity"] and values["severity"] not in SEVERITY_RANK:
            problems.append(f"unknown severity {values['severity']!r}")
            values["severity"] = ""
        if values["label"] and ":" not in values["label"]:
            problems.append(f"label filter {values['label']!r} must be name:value")
            values["label"] = ""
        return cls(**values, problems=problems)

    def to_board(self, user: str | None) -> BoardFilter:
        """`user`: the signed-in person, for `paged=me` (nobody is paged by an open hub's anonymous reader)."""
        states = OPEN_STATES if self.state == "open" else ((self.state,) if self.state else ())
        name, _, value = self.label.partition(":")
        return BoardFilter(
            states=states,
            severities=(self.severity,) if self.severity else (),
            sources=(self.source,) if self.source else (),
            rules=(self.rule,) if self.rule else (),
            labels=((name, value),) if self.label else (),
            text=self.q,
            paged_to=(user or "\x00nobody") if self.paged == "me" else "",
        )


_FILTER_KEYS = ("state", "severity", "source", "rule", "label", "q", "paged")


def _rank(row: BoardRow) -> int:
    """The board's order as one number, highest first; app.js computes the same for rows it renders."""
    return (4 - row.tier) * 10 + row.alert.severity.rank


@router.get("/", response_class=HTMLResponse)
async def alerts_page(request: Request) -> HTMLResponse:
    form = FilterForm.parse(dict(request.query_params))
    dashboard = _dashboard(request)
    principal = principal_of(request)
    user = principal.name if principal is not None and principal.kind == "user" else None
    rows = await dashboard.board(form.to_board(user), BOARD_LIMIT + 1)
    sources, rules = await dashboard.pickers()
    shown = rows[:BOARD_LIMIT]
    # Each box counts the rows below it of its severity, so that a click on it (the same filters plus
    # that severity) lists exactly that many.
    tallies: dict[str, int] = {}
    for row in shown:
        tallies[row.alert.severity.value] = tallies.get(row.alert.severity.value, 0) + 1
    return await _pages(request).render(
        request,
        "alerts",
        "alerts.html",
        rows=shown,
        truncated=len(rows) > BOARD_LIMIT,
        f=form,
        tally_query=lambda sev: urlencode({**{k: v for k, v in form.as_json.items() if v}, "severity": sev}),
        problem="; ".join(form.problems),
        sources=sources,
        rules=rules,
        tallies=tallies,
        summary=summary,
        rank=_rank,
    )


@router.get("/alerts/{alert_id}", response_class=HTMLResponse)
async def alert_page(alert_id: int, request: Request) -> HTMLResponse:
    hub: Hub = request.app.state.hub
    try:
        detail = await hub.alerts.get(alert_id)
    except NotFoundError:
        return await _pages(request).render(request, "alerts", "missing.html", status=404, alert_id=alert_id)
    a = detail.alert
    rule = hub.rules.get(a.rule_name)
    ranked = sorted(rule.thresholds.items(), key=lambda kv: -kv[0].rank) if rule else []
    thresholds = [(s.value, v) for s, v in ranked]

    def crossed(sev: Severity) -> bool:
        limit = rule.thresholds.get(sev) if rule else None
        return bool(rule and limit is not None and a.value is not None and rule.comparison.holds(a.value, limit))

    links = [(k, v) for k, v in sorted(a.annotations.items()) if is_safe_url(v)]
    links += [(k, v) for k, v in sorted(a.labels.items()) if is_safe_url(v)]
    return await _pages(request).render(
        request,
        "alerts",
        "alert.html",
        a=a,
        rule=rule,
        thresholds=thresholds,
        crossed=lambda s: crossed(Severity(s)),
        chart=value_chart.build(value_chart.readings_of(detail.history, (a.last_seen, a.value)), thresholds),
        links=links,
        history=detail.history,
        notifications=detail.notifications,
        escalations=detail.escalations,
        pages=[e for e in detail.history if e.kind.value == "escalation"],
        mute=detail.muting,
        summary=summary,
    )


@router.get("/silences", response_class=HTMLResponse)
async def silences_page(request: Request) -> HTMLResponse:
    hub: Hub = request.app.state.hub
    pages = _pages(request)
    lang = pages.language(request)
    source: Alert | None = None
    matchers: list[tuple[str, str]] = [("", "")]
    comment = ""
    alert_id = request.query_params.get("alert", "")
    if alert_id.isdigit():
        try:
            source = (await hub.alerts.get(int(alert_id))).alert
        except NotFoundError:
            source = None
    if source is not None:
        matchers = [("alertname", source.rule_name), *sorted(source.labels.items())]
        comment = summary(source)[:200] or source.rule_name
    return await pages.render(
        request,
        "silences",
        "silences.html",
        from_alert=source,
        matchers=matchers,
        comment=comment,
        durations=[(s, i18n.duration(s, lang)) for s in SILENCE_DURATIONS],
    )


@router.get("/rules", response_class=HTMLResponse)
async def rules_page(request: Request) -> HTMLResponse:
    hub: Hub = request.app.state.hub

    def sorted_thresholds(rule: Rule) -> list[tuple[str, float]]:
        return [(s.value, v) for s, v in sorted(rule.thresholds.items(), key=lambda kv: -kv[0].rank)]

    rules = sorted(hub.rules, key=lambda r: r.name)
    return await _pages(request).render(
        request, "rules", "rules.html", rules=rules, sorted_thresholds=sorted_thresholds
    )


@router.get("/channels", response_class=HTMLResponse)
async def channels_page(request: Request) -> HTMLResponse:
    return await _pages(request).render(request, "channels", "channels.html")


@router.get("/monitors", response_class=HTMLResponse)
async def monitors_page(request: Request) -> HTMLResponse:
    hub: Hub = request.app.state.hub
    pages = _pages(request)
    kept = hub.config.storage.retention.signals.total_seconds()  # how far back "no source" looked
    return await pages.render(
        request, "monitors", "monitors.html", kept_for=i18n.duration(kept, pages.language(request))
    )


@router.get("/notifications", response_class=HTMLResponse)
async def notifications_page(request: Request) -> HTMLResponse:
    return await _pages(request).render(request, "notifications", "notifications.html")


@router.get("/overview", response_class=HTMLResponse)
async def overview_page(request: Request) -> HTMLResponse:
    pages = _pages(request)
    overview = await _dashboard(request).overview()
    messages = i18n.translator(pages.language(request))
    names = {s.value: messages[f"sev.{s.value}"] for s in Severity}
    return await pages.render(
        request,
        "overview",
        "overview.html",
        o=overview,
        chart=chart.build(overview.hours, names, pages.language(request)),
    )


def install(app: FastAPI, hub: Hub, auth: AuthService) -> None:
    app.state.pages = Pages(hub, auth)
    app.state.dashboard = DashboardService(hub.db, hub.clock, lambda: hub.pipeline.setup.inhibit_rules)
    app.state.actions = ActionService(
        lambda: hub.alerts, SilenceService(hub.db, hub.clock), auth.action_codec, hub.clock
    )
    app.include_router(router)
    app.include_router(forms.router)
    app.include_router(actions.router)
    app.include_router(oncall_page.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
