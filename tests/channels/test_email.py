from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from alerthub.channels.email import EmailChannel, EmailChannelConfig
from alerthub.delivery.compose import render
from alerthub.errors import DeliveryError
from support.channel_samples import payload, snapshot
from support.standins import SMTPStandIn


@pytest.fixture
def smtp(certificate: tuple[Path, Path]) -> Iterator[SMTPStandIn]:
    server = SMTPStandIn(certificate, tls="starttls")
    yield server
    server.close()


def channel(port: int, **extra: object) -> tuple[EmailChannel, EmailChannelConfig]:
    cfg = EmailChannelConfig.model_validate(
        {
            "name": "mail",
            "type": "email",
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "username": SMTPStandIn.USER,
            "password": SMTPStandIn.PASSWORD,
            "from": "alerthub@example.com",
            "to": "ops@example.com, oncall@example.com",
            "tls": "starttls",
            "validate_certs": False,
            **extra,
        }
    )
    return EmailChannel(cfg), cfg


async def test_starttls_auth_multipart_to_several_recipients(smtp: SMTPStandIn) -> None:
    ch, cfg = channel(smtp.port)
    async with httpx.AsyncClient() as http:
        result = await ch.send(render(payload(), cfg), http)
    [mail] = smtp.mails
    assert mail.authenticated
    assert sorted(mail.rcpt_tos) == ["oncall@example.com", "ops@example.com"]
    message = mail.message
    assert message["Subject"] == "[CRITICAL] CPU high — web-1"
    assert message["Message-ID"] == result.external_id
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and html is not None
    assert "Value: 95.5" in plain.get_content() and "Threshold: > 90" in plain.get_content()
    assert "<table" in html.get_content()


async def test_a_subject_with_cr_lf_cannot_inject_headers(smtp: SMTPStandIn) -> None:
    ch, cfg = channel(smtp.port)
    evil = snapshot(summary="disk full\r\nBcc: thief@evil.example\r\nX-Injected: yes\n\nbody")
    async with httpx.AsyncClient() as http:
        await ch.send(render(payload(evil), cfg), http)
    [mail] = smtp.mails
    assert "thief@evil.example" not in mail.rcpt_tos
    assert mail.message["Bcc"] is None and mail.message["X-Injected"] is None
    assert "\n" not in mail.message["Subject"] and "Bcc: thief@evil.example" in mail.message["Subject"]


async def test_html_part_escapes_outside_text(smtp: SMTPStandIn) -> None:
    ch, cfg = channel(smtp.port)
    async with httpx.AsyncClient() as http:
        await ch.send(render(payload(snapshot(summary="<script>alert(1)</script>")), cfg), http)
    html = smtp.mails[0].message.get_body(("html",))
    assert html is not None
    assert "<script>" not in html.get_content() and "&lt;script&gt;" in html.get_content()


async def test_update_replies_in_the_thread(smtp: SMTPStandIn) -> None:
    ch, cfg = channel(smtp.port)
    async with httpx.AsyncClient() as http:
        first = await ch.send(render(payload(), cfg), http)
        assert first.external_id is not None
        resolved = payload(snapshot(state="resolved"), status="resolved", reason="all alerts resolved")
        await ch.update(render(resolved, cfg), first.external_id, http)
    reply = smtp.mails[1].message
    assert reply["In-Reply-To"] == first.external_id and reply["References"] == first.external_id
    assert reply["Subject"].startswith("Re: [Resolved]")


async def test_korean_resolved_message(smtp: SMTPStandIn) -> None:
    ch, cfg = channel(smtp.port, language="ko")
    resolved = payload(snapshot(state="resolved"), status="resolved", reason="all alerts resolved")
    async with httpx.AsyncClient() as http:
        await ch.send(render(resolved, cfg), http)
    assert smtp.mails[0].message["Subject"].startswith("[복구됨]")


async def test_wrong_password_is_permanent(smtp: SMTPStandIn) -> None:
    ch, cfg = channel(smtp.port, password="wrong")
    async with httpx.AsyncClient() as http:
        with pytest.raises(DeliveryError) as caught:
            await ch.send(render(payload(), cfg), http)
    assert not caught.value.retryable
    assert smtp.mails == []


async def test_implicit_tls(certificate: tuple[Path, Path]) -> None:
    server = SMTPStandIn(certificate, tls="ssl")
    try:
        ch, cfg = channel(server.port, tls="ssl")
        async with httpx.AsyncClient() as http:
            await ch.send(render(payload(), cfg), http)
        assert server.mails[0].authenticated
    finally:
        server.close()


async def test_plain_smtp_without_auth(certificate: tuple[Path, Path]) -> None:
    server = SMTPStandIn(certificate, tls="none")
    try:
        ch, cfg = channel(server.port, tls="none", username=None, password=None)
        async with httpx.AsyncClient() as http:
            await ch.send(render(payload(), cfg), http)
        assert len(server.mails) == 1 and not server.mails[0].authenticated
    finally:
        server.close()


async def test_server_down_is_retryable() -> None:
    from support.standins import free_port

    ch, cfg = channel(free_port())
    async with httpx.AsyncClient() as http:
        with pytest.raises(DeliveryError) as caught:
            await ch.send(render(payload(), cfg), http)
    assert caught.value.retryable


def test_describe_hides_the_password() -> None:
    ch, _ = channel(2525)
    assert SMTPStandIn.PASSWORD not in str(ch.describe())


@pytest.mark.parametrize(
    "summary",
    [
        "HetrixTools: Shop API payments-api.example.com 결제 서비스 다운",
        "HetrixTools: Shop API 업타임 이슈 감지 - 결제 서비스 다운, 응답 없음 (모니터 세 곳에서 확인)",
        "Shop API 서비스 다운 감지 — 모니터 Frankfurt London New York 모두 실패, 담당자 확인 필요",
    ],
)
async def test_a_korean_subject_arrives_with_every_space(smtp: SMTPStandIn, summary: str) -> None:
    # Long enough to fold into several RFC 2047 encoded words; read back by Python's own parser.
    ch, cfg = channel(smtp.port)
    async with httpx.AsyncClient() as http:
        sent = await ch.send(render(payload(snapshot(summary=summary)), cfg), http)
        await ch.update(render(payload(snapshot(summary=summary), reason="new alerts"), cfg), sent.external_id, http)
    first, reply = smtp.mails
    assert first.message["Subject"] == f"[CRITICAL] {summary} — web-1"
    assert reply.message["Subject"] == f"Re: [CRITICAL] {summary} — web-1"
    assert all(len(line) <= 78 for line in first.content.splitlines())
