"""Loopback stand-ins for the services channels talk to: real servers on 127.0.0.1 that answer as
the services document — Discord's size limits (400), its 429 body and headers, `?wait=true` and
message edits; Slack's plain-text errors; Telegram's HTML parsing and `parameters.retry_after`;
a plain webhook receiver; and an aiosmtpd SMTP server with AUTH and STARTTLS.

Rate limits read an injectable clock (`now`, seconds), so a test on a FakeClock sees the same
time as the service."""

from __future__ import annotations

import datetime as dt
import json
import re
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from html import escape as html_escape
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

Now = Callable[[], float]


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    target: str = ""  # the request line's target as sent: path and query, still percent-encoded

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    text: str | None = None
    content_type: str | None = None  # of `text`; plain text unless told


class LoopbackHTTPServer(ThreadingHTTPServer):
    """A threaded HTTP server whose listen backlog holds a burst: `http.server`'s default of 5 reset
    connections beyond about eight at once, which a channel sending a wave in parallel exceeds."""

    request_queue_size = 128
    daemon_threads = True


class StandIn:
    """A threaded HTTP server; subclasses implement `answer(request) -> Reply`. `fail_next(reply, n)`
    scripts the next n answers (a 500, a deleted webhook)."""

    def __init__(self, now: Now | None = None) -> None:
        import time

        self.now: Now = now or time.monotonic
        self.requests: list[Request] = []
        self.replies: list[tuple[Request, Reply]] = []
        self.times: list[float] = []
        self.scripted: list[Reply] = []
        self.lock = threading.Lock()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                stand_in._serve(self, "POST")

            def do_PATCH(self) -> None:
                stand_in._serve(self, "PATCH")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = LoopbackHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail_next(self, reply: Reply, times: int = 1) -> None:
        self.scripted.extend([reply] * times)

    def statuses(self) -> list[int]:
        return [reply.status for _, reply in self.replies]

    def answer(self, request: Request) -> Reply:
        return Reply(200, {"ok": True})

    def _serve(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        request = read_request(handler, method)
        with self.lock:
            self.requests.append(request)
            self.times.append(self.now())
            reply = self.scripted.pop(0) if self.scripted else self.answer(request)
            self.replies.append((request, reply))
        write_reply(handler, reply, text_type="text/plain; charset=utf-8")


def read_request(handler: BaseHTTPRequestHandler, method: str, *, lower_headers: bool = False) -> Request:
    """The request as the handler received it, its body read whole by Content-Length."""
    length = int(handler.headers.get("Content-Length") or 0)
    url = urlsplit(handler.path)
    headers = {(k.lower() if lower_headers else k): v for k, v in handler.headers.items()}
    query = parse_qs(url.query, keep_blank_values=lower_headers)
    return Request(method, url.path, query, headers, handler.rfile.read(length), handler.path)


def write_reply(
    handler: BaseHTTPRequestHandler, reply: Reply, *, text_type: str | None, empty_type: str | None = None
) -> None:
    """Status, Content-Type (JSON; `text_type` for a text reply and `empty_type` for none, where None
    leaves it to `reply.headers`), the reply's own headers and Content-Length, then the body."""
    if reply.text is not None:
        payload, kind = reply.text.encode(), reply.content_type or text_type
    elif reply.body is None:
        payload, kind = b"", empty_type
    else:
        payload, kind = json.dumps(reply.body).encode(), "application/json"
    handler.send_response(reply.status)
    if kind:
        handler.send_header("Content-Type", kind)
    for name, value in reply.headers.items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(payload)))
    handler.end_headers()
    handler.wfile.write(payload)


class Window:
    """`limit` requests per `seconds`, per key: the sliding window the services describe."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit = limit
        self.seconds = seconds
        self.seen: dict[str, list[float]] = {}

    def admit(self, key: str, now: float) -> float | None:
        """None if admitted, else seconds until a slot frees."""
        recent = [t for t in self.seen.get(key, []) if now - t < self.seconds]
        if len(recent) >= self.limit:
            self.seen[key] = recent
            return round(self.seconds - (now - recent[0]), 3)
        self.seen[key] = [*recent, now]
        return None


# Discord's documented embed limits (Execute Webhook, Embed Limits).
DISCORD_LIMITS = {"title": 256, "description": 4096, "fields": 25, "name": 256, "value": 1024, "footer": 2048}


def discord_problems(body: dict[str, Any]) -> list[str]:
    problems = []
    if not (body.get("content") or body.get("embeds")):
        problems.append("Cannot send an empty message")
    if len(body.get("content") or "") > 2000:
        problems.append("content: Must be 2000 or fewer in length.")
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        problems.append("embeds: Must be 10 or fewer in length.")
    total = 0
    for i, e in enumerate(embeds):
        footer = (e.get("footer") or {}).get("text", "")
        sizes = {"title": len(e.get("title", "")), "description": len(e.get("description", "")), "footer": len(footer)}
        fields = e.get("fields") or []
        if len(fields) > DISCORD_LIMITS["fields"]:
            problems.append(f"embeds.{i}.fields: Must be 25 or fewer in length.")
        for j, f in enumerate(fields):
            for key in ("name", "value"):
                if len(f.get(key, "")) > DISCORD_LIMITS[key] or not f.get(key):
                    problems.append(f"embeds.{i}.fields.{j}.{key}: bad length")
                total += len(f.get(key, ""))
        for key, size in sizes.items():
            if size > DISCORD_LIMITS[key]:
                problems.append(f"embeds.{i}.{key}: Must be {DISCORD_LIMITS[key]} or fewer in length.")
            total += size
        if not isinstance(e.get("color", 0), int):
            problems.append(f"embeds.{i}.color: Value is not int.")
    if total > 6000:
        problems.append("embeds: Embed size exceeds maximum size of 6000")
    return problems


class DiscordStandIn(StandIn):
    """Webhook `/api/webhooks/{id}/{token}`: 5 requests per 2 s per webhook, then 429 with the
    documented body and headers; 400 on any size limit; 200 + message with `?wait=true`, else
    204; PATCH `/messages/{id}` edits. `pings` lists who a message would really have pinged."""

    def __init__(self, now: Now | None = None, limit: int = 5, per: float = 2.0) -> None:
        super().__init__(now)
        self.window = Window(limit, per)
        self.messages: dict[str, dict[str, Any]] = {}
        self.pings: list[str] = []
        self.deleted = False
        self.hints = True  # send X-RateLimit-* headers on success, as Discord does
        self._next_id = 1_300_000_000_000_000_000

    def url(self, webhook: str = "1234/secret-token") -> str:
        return f"{self.base_url}/api/webhooks/{webhook}"

    def answer(self, request: Request) -> Reply:
        parts = request.path.strip("/").split("/")
        if self.deleted or len(parts) < 4 or parts[:2] != ["api", "webhooks"]:
            return Reply(404, {"message": "Unknown Webhook", "code": 10015})
        wait = self.window.admit("/".join(parts[2:4]), self.now())
        if wait is not None:
            headers = {
                "Retry-After": str(int(wait) + 1),
                "X-RateLimit-Limit": str(self.window.limit),
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset-After": str(wait),
                "X-RateLimit-Scope": "user",
            }
            return Reply(429, {"message": "You are being rate limited.", "retry_after": wait, "global": False}, headers)
        try:
            body = request.json()
        except ValueError:
            return Reply(400, {"message": "Cannot send an empty message", "code": 50006})
        problems = discord_problems(body)
        if problems:
            return Reply(400, {"message": "Invalid Form Body", "code": 50035, "errors": problems})
        if request.method == "PATCH":
            message_id = parts[-1]
            if message_id not in self.messages:
                return Reply(404, {"message": "Unknown Message", "code": 10008})
            self.messages[message_id] = body
            return Reply(
                200, {"id": message_id, **body}, self._hint_headers("/".join(parts[2:4])) if self.hints else {}
            )
        self._record_pings(body)
        self._next_id += 1
        self.messages[str(self._next_id)] = body
        headers = self._hint_headers("/".join(parts[2:4])) if self.hints else {}
        if request.query.get("wait") == ["true"]:
            return Reply(200, {"id": str(self._next_id), "channel_id": "42", **body}, headers)
        return Reply(204, headers=headers)

    def _hint_headers(self, key: str) -> dict[str, str]:
        now = self.now()
        recent = [t for t in self.window.seen.get(key, []) if now - t < self.window.seconds]
        reset_after = round(self.window.seconds - (now - recent[0]), 3) if recent else self.window.seconds
        return {
            "X-RateLimit-Limit": str(self.window.limit),
            "X-RateLimit-Remaining": str(max(0, self.window.limit - len(recent))),
            "X-RateLimit-Reset-After": str(reset_after),
            "X-RateLimit-Bucket": "abcd1234",
        }

    def _record_pings(self, body: dict[str, Any]) -> None:
        allowed = body.get("allowed_mentions")
        parse = ["everyone", "roles", "users"] if allowed is None else allowed.get("parse", [])
        text = json.dumps([body.get("content"), body.get("embeds")])
        # Discord pings only from `content`; we are stricter and look everywhere.
        if "everyone" in parse and ("@everyone" in text or "@here" in text):
            self.pings.append("@everyone")
        for role in (allowed or {}).get("roles", []):
            if f"<@&{role}>" in (body.get("content") or ""):
                self.pings.append(f"role:{role}")
        for user in (allowed or {}).get("users", []):
            if f"<@{user}>" in (body.get("content") or "") or f"<@!{user}>" in (body.get("content") or ""):
                self.pings.append(f"user:{user}")

    def posted(self) -> list[dict[str, Any]]:
        return [r.json() for r, reply in self.replies if r.method == "POST" and reply.status in (200, 204)]


class SlackStandIn(StandIn):
    """Incoming webhook: `200 ok` in plain text; errors are plain text too (`invalid_payload`,
    `no_text`, `invalid_blocks`); 1 per second with short bursts, else 429 + Retry-After."""

    def __init__(self, now: Now | None = None, limit: int = 3, per: float = 3.0) -> None:
        super().__init__(now)
        self.window = Window(limit, per)

    def answer(self, request: Request) -> Reply:
        if request.path.startswith(self.RESPONSE_PATH):
            return self._respond(request)
        wait = self.window.admit("hook", self.now())
        if wait is not None:
            return Reply(429, headers={"Retry-After": str(max(1, round(wait)))}, text="rate_limited")
        try:
            body = request.json()
        except ValueError:
            return Reply(400, text="invalid_payload")
        if not body.get("text") and not body.get("blocks"):
            return Reply(400, text="no_text")
        for block in body.get("blocks", []):
            if block.get("type") == "header" and len(block["text"]["text"]) > 150:
                return Reply(400, text="invalid_blocks")
        return Reply(200, text="ok")

    RESPONSE_PATH = "/actions/"  # where an interaction's `response_url` points (hooks.slack.com/actions/...)

    def response_url(self) -> str:
        return f"{self.base_url}{self.RESPONSE_PATH}T0001/12345/response-secret"

    def responses(self) -> list[dict[str, Any]]:
        return [r.json() for r in self.requests if r.path.startswith(self.RESPONSE_PATH)]

    def _respond(self, request: Request) -> Reply:
        """A `response_url` takes a message (`text` or `blocks`) that replaces the original or is shown
        to the presser alone (`response_type: ephemeral`)."""
        try:
            body = request.json()
        except ValueError:
            return Reply(400, text="invalid_payload")
        if not body.get("text") and not body.get("blocks"):
            return Reply(400, text="no_text")
        return Reply(200, {"ok": True})

    @staticmethod
    def press(secret: str, timestamp: int, payload: dict[str, Any]) -> tuple[dict[str, str], bytes]:
        """An interaction request as Slack sends one: a form with the JSON `payload`, signed `v0` with
        the app's signing secret over `v0:{timestamp}:{body}` (Slack's "Verifying requests from Slack")."""
        import hashlib
        import hmac
        from urllib.parse import urlencode

        body = urlencode({"payload": json.dumps(payload)}).encode()
        base = f"v0:{timestamp}:".encode() + body
        signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": str(timestamp),
            "X-Slack-Signature": signature,
        }
        return headers, body

    def mentions(self, body: dict[str, Any]) -> list[str]:
        """What Slack would parse as a ping or a link in a message: `<!channel>`, `<!here>`,
        `<@U…>`, `<!subteam^…>` and `<url|text>` links, in `text` and every mrkdwn text object
        (plain_text is shown as written). Entities (`&lt;`) are text, as Slack reads them."""
        texts = [body.get("text") or ""]
        for block in body.get("blocks", []):
            objects = [block.get("text") or {}, *block.get("fields", []), *block.get("elements", [])]
            texts += [o.get("text", "") for o in objects if o.get("type") == "mrkdwn"]
        return [m for text in texts for m in re.findall(r"<([^<>]*)>", text)]


class _TelegramHTML(HTMLParser):
    ALLOWED = {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "a",
        "code",
        "pre",
        "tg-spoiler",
        "span",
        "blockquote",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.error: str | None = None
        self.visible = 0
        self.text = ""  # the text without markup, as Telegram gives a message back

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.ALLOWED:
            self.error = self.error or f'Unsupported start tag "{tag}"'
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.error = self.error or f'Unexpected end tag "{tag}"'

    def handle_data(self, data: str) -> None:
        self.visible += len(data)
        self.text += data


class TelegramStandIn(StandIn):
    """Bot API `POST /bot<token>/sendMessage` with `parse_mode: HTML`: refuses HTML it cannot parse,
    text over 4096 characters after entity parsing and a button's `callback_data` outside 1-64 bytes
    (`BUTTON_DATA_INVALID`); about 1 message per second per chat. Button
    presses (`press`) come back through `getUpdates`, are answered with `answerCallbackQuery` and the
    message changed with `editMessageText`."""

    def __init__(self, token: str = "123:ABC", now: Now | None = None, limit: int = 3, per: float = 3.0) -> None:
        super().__init__(now)
        self.token = token
        self.window = Window(limit, per)
        self.sent: list[dict[str, Any]] = []
        self.updates: list[dict[str, Any]] = []
        self.confirmed: list[dict[str, Any]] = []
        self.answered: list[dict[str, Any]] = []
        self.edited: list[dict[str, Any]] = []

    def answer(self, request: Request) -> Reply:
        method = request.path.removeprefix(f"/bot{self.token}/")
        if method in ("getUpdates", "answerCallbackQuery", "editMessageText"):
            return getattr(self, f"_{method}")(request.json())
        if request.path != f"/bot{self.token}/sendMessage":
            return Reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        body = request.json()
        wait = self.window.admit(str(body.get("chat_id")), self.now())
        if wait is not None:
            seconds = max(1, round(wait))
            return Reply(
                429,
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {seconds}",
                    "parameters": {"retry_after": seconds},
                },
            )
        text = body.get("text", "")
        visible = len(text)
        if body.get("parse_mode") == "HTML":
            parser = _TelegramHTML()
            parser.feed(text)
            parser.close()
            if parser.error or parser.stack:
                why = parser.error or f'Can\'t find end tag corresponding to start tag "{parser.stack[-1]}"'
                return Reply(
                    400, {"ok": False, "error_code": 400, "description": f"Bad Request: can't parse entities: {why}"}
                )
            visible = parser.visible
        if not text.strip():
            return Reply(400, {"ok": False, "error_code": 400, "description": "Bad Request: message text is empty"})
        if visible > 4096:
            return Reply(400, {"ok": False, "error_code": 400, "description": "Bad Request: message is too long"})
        rows = body.get("reply_markup", {}).get("inline_keyboard", [])
        if any(not 1 <= len(b.get("callback_data", "x").encode()) <= 64 for row in rows for b in row):
            return Reply(400, {"ok": False, "error_code": 400, "description": "Bad Request: BUTTON_DATA_INVALID"})
        self.sent.append(body)
        return Reply(
            200, {"ok": True, "result": {"message_id": len(self.sent), "chat": {"id": body["chat_id"]}, "text": text}}
        )

    # Button presses, as the Bot API hands them to a bot that long-polls getUpdates.
    def press(self, message_id: int, data: str, user_id: int, username: str, *, date: int) -> None:
        """Someone presses a button of a sent message: a `callback_query` update waits for getUpdates, with
        the message as Telegram gives it back (its text without markup, the markup as `entities`)."""
        sent = self.sent[message_id - 1]
        plain = _TelegramHTML()
        plain.feed(sent["text"])
        update_id = 500_000 + len(self.updates) + len(self.confirmed)
        self.updates.append(
            {
                "update_id": update_id,
                "callback_query": {
                    "id": f"4382bfdwdsb323b2d9{update_id}",
                    "from": {"id": user_id, "is_bot": False, "first_name": username.title(), "username": username},
                    "message": {
                        "message_id": message_id,
                        "date": date,
                        "chat": {
                            "id": int(sent["chat_id"]),
                            "type": "private" if int(sent["chat_id"]) > 0 else "group",
                        },
                        "text": plain.text,
                        "entities": [{"type": "bold", "offset": 0, "length": min(5, len(plain.text))}],
                    },
                    "chat_instance": "-6393848736294836437",
                    "data": data,
                },
            }
        )

    def _getUpdates(self, body: dict[str, Any]) -> Reply:
        """Updates from `offset` on; an offset confirms (forgets) every update before it."""
        offset = body.get("offset")
        if isinstance(offset, int):
            self.confirmed += [u for u in self.updates if u["update_id"] < offset]
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        wanted = body.get("allowed_updates") or ["callback_query"]
        return Reply(200, {"ok": True, "result": [u for u in self.updates if any(k in u for k in wanted)]})

    def _answerCallbackQuery(self, body: dict[str, Any]) -> Reply:
        """A query is answered once, and only one that was handed out."""
        issued = {u["callback_query"]["id"] for u in self.updates + self.confirmed}
        answered = {a["callback_query_id"] for a in self.answered}
        query = body.get("callback_query_id")
        if query not in issued or query in answered:
            why = "query is too old and response timeout expired or query ID is invalid"
            return Reply(400, {"ok": False, "error_code": 400, "description": f"Bad Request: {why}"})
        self.answered.append(body)
        return Reply(200, {"ok": True, "result": True})

    def _editMessageText(self, body: dict[str, Any]) -> Reply:
        """Only a message this bot sent, in its own chat."""
        number = body.get("message_id")
        sent = self.sent[number - 1] if isinstance(number, int) and 0 < number <= len(self.sent) else None
        if sent is None or str(sent["chat_id"]) != str(body.get("chat_id")):
            return Reply(400, {"ok": False, "error_code": 400, "description": "Bad Request: message to edit not found"})
        if not str(body.get("text", "")).strip():
            return Reply(400, {"ok": False, "error_code": 400, "description": "Bad Request: message text is empty"})
        self.edited.append(body)
        return Reply(200, {"ok": True, "result": {"message_id": number, "text": body["text"]}})


EXPRESS_404 = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Error</title>
</head>
<body>
<pre>Cannot {method} {path}</pre>
</body>
</html>
"""


class EchoingStandIn(StandIn):
    """A server that does not know the URL it is sent to and says so quoting it, as web frameworks
    do. `echo` picks how: `express` (Express's default 404 page: `Cannot POST /hooks/<token>`, the
    path HTML-escaped), `decoded` (the path URL-decoded, in plain text), `encoded` (every reserved
    character of the path as %XX), `segment` (only its longest path segment, the key, in a JSON `message`),
    `target` (path and query as sent), `auth` (the Authorization header it was given), `padded`
    (the path after so much preamble that a 300-character cap falls 12 characters into its key), `cut` (the path
    without its last 16 characters, ending `...`)."""

    def __init__(self, echo: str = "express", status: int = 404) -> None:
        super().__init__()
        self.echo = echo
        self.status = status

    def answer(self, request: Request) -> Reply:
        path = request.path
        if self.echo == "express":
            page = EXPRESS_404.format(method=request.method, path=html_escape(path))
            return Reply(self.status, text=page, content_type="text/html; charset=utf-8")
        if self.echo == "segment":
            key = max(path.split("/"), key=len)
            return Reply(self.status, {"message": f"unknown webhook {key}"})
        quoted = {
            "decoded": unquote(path),
            "encoded": quote(path, safe=""),
            "target": request.target,
            "auth": f"no such user for {request.headers.get('Authorization', '')}",
            "padded": _pad_to_cut(path, 300 - 12 - len("Not found: ")),
            "cut": path[:-16] + "...",
        }[self.echo]
        return Reply(self.status, text=f"Not found: {quoted}")


def _pad_to_cut(path: str, cap: int) -> str:
    key = max(path.split("/"), key=len)
    filler = ("The server could not find what was asked for. " * 10)[: cap - path.index(key)]
    return filler + path


class Receiver(StandIn):
    """A plain webhook receiver: answers `status` (200 unless told otherwise) and keeps what came."""

    def __init__(self, status: int = 200) -> None:
        super().__init__()
        self.status = status

    def answer(self, request: Request) -> Reply:
        return Reply(self.status, {"ok": self.status < 300})


# SMTP


def free_port() -> int:
    # aiosmtpd's Controller cannot take port 0: its readiness probe connects to the configured port.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1/localhost, made now with `cryptography`."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@dataclass
class Mail:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    authenticated: bool

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


class SMTPStandIn:
    """aiosmtpd on loopback. `tls`: `starttls` (AUTH only after STARTTLS, as real servers do),
    `ssl` (implicit TLS) or `none`. Only `user` / `app-password` logs in."""

    USER, PASSWORD = "user", "app-password"

    def __init__(self, certificate: tuple[Path, Path], tls: str = "starttls") -> None:
        self.mails: list[Mail] = []
        self.port = free_port()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*certificate)
        options: dict[str, Any] = {}
        if tls == "starttls":
            options = {"tls_context": context, "require_starttls": True}
        elif tls == "ssl":
            # aiosmtpd counts only STARTTLS as TLS, so implicit TLS must allow AUTH "without" it.
            options = {"ssl_context": context, "auth_require_tls": False}
        else:
            options = {"auth_require_tls": False}
        self.controller = Controller(
            self, hostname="127.0.0.1", port=self.port, authenticator=self._authenticate, **options
        )
        self.controller.start()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.mails.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), envelope.content, session.authenticated))
        return "250 Message accepted for delivery"

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            self.USER.encode(),
            self.PASSWORD.encode(),
        )
        return AuthResult(success=ok, handled=False)

    def close(self) -> None:
        self.controller.stop()
