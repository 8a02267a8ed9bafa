"""Email through SMTP (aiosmtplib): multipart text + HTML to several recipients. Headers are built
with `email.message.EmailMessage`, and CR/LF in outside text is flattened first, so an alert title
can never add a header such as `Bcc:`. An update is sent as a reply to the first message."""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import ClassVar

import aiosmtplib
import httpx

from alerthub.channels.base import SendResult, ThreadStyle
from alerthub.channels.message import RenderedMessage
from alerthub.config.models import EmailChannelConfig
from alerthub.errors import DeliveryError

_LINE_BREAKS = re.compile(r"[\r\n\x0b\x0c\x85\u2028\u2029]+")


def one_line(text: str) -> str:
    return _LINE_BREAKS.sub(" ", text).strip()


class EmailChannel:
    kind: ClassVar[str] = "email"
    threads: ClassVar[ThreadStyle] = "reply"

    def __init__(self, config: EmailChannelConfig) -> None:
        self.config = config
        self.name = config.name
        self.sender = config.from_ or config.username or f"alerthub@{config.smtp_host}"

    def describe(self) -> dict[str, str]:
        return {
            "smtp": f"{self.config.smtp_host}:{self.config.smtp_port}",
            "tls": self.config.tls,
            "from": self.sender,
            "to": ", ".join(self.config.to),
            "username": self.config.username or "",
            "password": "***" if self.config.password else "",
        }

    async def send(self, message: RenderedMessage, http: httpx.AsyncClient) -> SendResult:
        return await self._deliver(self.build(message, None))

    async def update(self, message: RenderedMessage, external_id: str, http: httpx.AsyncClient) -> SendResult:
        await self._deliver(self.build(message, external_id))
        # The thread stays anchored on the first message, so every later reply points at it.
        return SendResult(external_id)

    def build(self, message: RenderedMessage, reply_to: str | None) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = ", ".join(self.config.to)
        subject = one_line(message.title)
        mail["Subject"] = f"Re: {subject}" if reply_to else subject
        mail["Date"] = formatdate(localtime=False, usegmt=True)
        mail["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or "alerthub.local")
        mail["X-Alerthub-Idempotency-Key"] = one_line(message.idempotency_key)
        if reply_to:
            mail["In-Reply-To"] = reply_to
            mail["References"] = reply_to
        mail.set_content(message.body)
        if message.html:
            mail.add_alternative(message.html, subtype="html")
        return mail

    async def _deliver(self, mail: EmailMessage) -> SendResult:
        cfg = self.config
        try:
            await aiosmtplib.send(
                mail,
                hostname=cfg.smtp_host,
                port=cfg.smtp_port,
                username=cfg.username,
                password=cfg.password.get_secret_value() if cfg.password else None,
                use_tls=cfg.tls == "ssl",
                start_tls=cfg.tls == "starttls",
                validate_certs=cfg.validate_certs,
                timeout=cfg.timeout.total_seconds(),
            )
        except aiosmtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(f"SMTP login refused ({exc.code}): {exc.message}", retryable=False) from exc
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"every recipient was refused: {exc.recipients}", retryable=False) from exc
        except aiosmtplib.SMTPResponseException as exc:
            # 4xx is "try again later" in SMTP; 5xx is a permanent refusal.
            raise DeliveryError(f"SMTP {exc.code}: {exc.message}", retryable=exc.code < 500) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP failed: {type(exc).__name__}: {exc}", retryable=True) from exc
        return SendResult(str(mail["Message-ID"]))
