"""A loopback stand-in of the GA4 Data API v1beta, for Google's real client over REST."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from support.fake_apis import FakeAPI, Reply, Request


@dataclass
class PageViews:
    """Page views (and the users who made them) the GA4 stand-in knows, in one property-local hour."""

    hour: datetime
    views: int
    path: str = "/"
    title: str = "Home - Example"
    users: int = 0


class GA4API(FakeAPI):
    """The Data API v1beta's runReport and runRealtimeReport as the REST client meets them: camelCase
    JSON, enums as integers (`$alt=json;enum-encoding=int`), metric values as strings, `rows` left out
    when empty, dates (`NdaysAgo`, `yesterday`, `today`) and `dateHour` in the property's time zone,
    and the filters the poller sends (and/or groups, inList, string matches, regexes)."""

    def __init__(self, *, property_id: str = "123456", zone: str = "Europe/Paris", now: Callable[[], datetime]) -> None:
        super().__init__()
        self.property_id, self.zone, self.now = property_id, ZoneInfo(zone), now
        self.views: list[PageViews] = []
        self.realtime_users = 0
        self.realtime_views = 0
        self.realtime_events: dict[str, int] = {}  # eventName -> eventCount in the realtime window
        # When set, reports need `Authorization: Bearer <JWT>` signed by one of these service accounts
        # (Google's clients sign their own JWT with the key file instead of fetching a token).
        self.trusted_keys: dict[str, RSAPublicKey] = {}
        self.claims: list[dict[str, Any]] = []

    def answer(self, request: Request) -> Reply:
        if self.trusted_keys and not self._signed_in(request.headers.get("authorization", "")):
            message = "Request had invalid authentication credentials."
            return Reply(401, _google_error(401, message, "UNAUTHENTICATED"))
        match = re.fullmatch(r"/v1beta/properties/(\d+):(runReport|runRealtimeReport)", request.path)
        if request.method != "POST" or not match:
            return Reply(404, _google_error(404, "Method not found.", "NOT_FOUND"))
        if match.group(1) != self.property_id:
            return Reply(403, _google_error(403, "User does not have sufficient permissions.", "PERMISSION_DENIED"))
        body = request.json()
        if match.group(2) == "runRealtimeReport":
            return Reply(200, self._realtime(body))
        return Reply(200, self._report(body))

    def _signed_in(self, authorization: str) -> bool:
        """A JWT whose issuer is a trusted service account and whose RS256 signature its key verifies."""
        try:
            header, payload, signature = authorization.removeprefix("Bearer ").split(".")
            claims = json.loads(_unbase64(payload))
            key = self.trusted_keys[claims["iss"]]
            key.verify(_unbase64(signature), f"{header}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256())
        except (ValueError, KeyError, InvalidSignature):
            return False
        self.claims.append(claims)
        return True

    def _realtime(self, body: dict[str, Any]) -> dict[str, Any]:
        if [d["name"] for d in body.get("dimensions", [])] == ["eventName"]:
            return self._realtime_events(body)
        names = [m["name"] for m in body["metrics"]]
        values = {"activeUsers": self.realtime_users, "screenPageViews": self.realtime_views}
        out: dict[str, Any] = {
            "metricHeaders": [{"name": n, "type": "TYPE_INTEGER"} for n in names],
            "kind": "analyticsData#runRealtimeReport",
        }
        if any(values[n] for n in names):
            out["rows"] = [{"metricValues": [{"value": str(values[n])} for n in names]}]
            out["rowCount"] = 1
        return out

    def _realtime_events(self, body: dict[str, Any]) -> dict[str, Any]:
        """`eventName` x `eventCount`, as realtime answers it: events that did not happen have no row."""
        rows = [
            {"dimensionValues": [{"value": name}], "metricValues": [{"value": str(count)}]}
            for name, count in sorted(self.realtime_events.items())
            if count and _passes(body.get("dimensionFilter"), {"eventName": name})
        ]
        out: dict[str, Any] = {
            "dimensionHeaders": [{"name": "eventName"}],
            "metricHeaders": [{"name": "eventCount", "type": "TYPE_INTEGER"}],
            "kind": "analyticsData#runRealtimeReport",
        }
        if rows:
            out["rows"], out["rowCount"] = rows, len(rows)
        return out

    def _report(self, body: dict[str, Any]) -> dict[str, Any]:
        dims = [d["name"] for d in body.get("dimensions", [])]
        metrics = [m["name"] for m in body["metrics"]]
        first, last = (self._date(body["dateRanges"][0][k]) for k in ("startDate", "endDate"))
        totals: dict[tuple[str, ...], list[int]] = {}
        for fact in self.views:
            values = _dimensions(fact)
            if first <= fact.hour.date() <= last and _passes(body.get("dimensionFilter"), values):
                key = tuple(values[d] for d in dims)
                found = {"screenPageViews": fact.views, "activeUsers": fact.users}
                sums = totals.setdefault(key, [0] * len(metrics))
                for i, name in enumerate(metrics):
                    sums[i] += found[name]
        out: dict[str, Any] = {
            "dimensionHeaders": [{"name": d} for d in dims],
            "metricHeaders": [{"name": name, "type": "TYPE_INTEGER"} for name in metrics],
            "metadata": {"currencyCode": "USD", "timeZone": str(self.zone)},
            "kind": "analyticsData#runReport",
        }
        if totals:
            out["rowCount"] = len(totals)
            out["rows"] = [
                {"dimensionValues": [{"value": v} for v in key], "metricValues": [{"value": str(n)} for n in sums]}
                for key, sums in sorted(totals.items())
            ]
        return out

    def _date(self, text: str) -> date:
        today = self.now().astimezone(self.zone).date()
        if text == "today":
            return today
        if text == "yesterday":
            return today - timedelta(days=1)
        if text.endswith("daysAgo"):
            return today - timedelta(days=int(text.removesuffix("daysAgo")))
        return date.fromisoformat(text)


def _dimensions(fact: PageViews) -> dict[str, str]:
    return {
        "date": f"{fact.hour:%Y%m%d}",
        "hour": f"{fact.hour:%H}",
        "dateHour": f"{fact.hour:%Y%m%d%H}",
        "pagePath": fact.path,
        "pageTitle": fact.title,
    }


# Filter.StringFilter.MatchType: the REST client sends integers; the fixtures use names.
_MATCH_TYPES = ["EXACT", "BEGINS_WITH", "ENDS_WITH", "CONTAINS", "FULL_REGEXP", "PARTIAL_REGEXP"]


def _passes(expression: dict[str, Any] | None, values: dict[str, str]) -> bool:
    if not expression:
        return True
    if "andGroup" in expression:
        return all(_passes(e, values) for e in expression["andGroup"]["expressions"])
    if "orGroup" in expression:
        return any(_passes(e, values) for e in expression["orGroup"]["expressions"])
    if "notExpression" in expression:
        return not _passes(expression["notExpression"], values)
    f = expression["filter"]
    value = values[f["fieldName"]]
    if "inListFilter" in f:
        return value in f["inListFilter"]["values"]
    sf = f["stringFilter"]
    kind = sf["matchType"] if isinstance(sf["matchType"], str) else _MATCH_TYPES[sf["matchType"] - 1]
    pattern, insensitive = sf["value"], not sf.get("caseSensitive", False)
    if kind.endswith("REGEXP"):
        search = re.fullmatch if kind == "FULL_REGEXP" else re.search
        return search(pattern, value, re.IGNORECASE if insensitive else 0) is not None
    if insensitive:
        value, pattern = value.lower(), pattern.lower()
    return {
        "EXACT": value == pattern,
        "BEGINS_WITH": value.startswith(pattern),
        "ENDS_WITH": value.endswith(pattern),
        "CONTAINS": pattern in value,
    }[kind]


def _google_error(code: int, message: str, status: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status}}


def _unbase64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
