"""Email through SMTP (aiosmtplib): multipart text + HTML to several recipients. Headers are built
with `email.message.EmailMessage`, and CR/LF in outside text is flattened first, so an alert title
can never add a header such as `Bcc:`. An update is sent as a reply to the first message; a digest as a
reply to the first message of every thread it carries."""

from __future__ import annotations

import re
from collections.abc import Sequence
from email.header import Header
from email.message import EmailMessage
from email.policy import EmailPolicy, Policy
from email.utils import formatdate, make_msgid
from typing import ClassVar, Literal

import aiosmtplib
from pydantic import ConfigDict, Field, SecretStr, field_validator

from alerthub.channels.base import ChannelSettings, Pace, PageStyle, SendResult, ThreadStyle
from alerthub.channels.http import HttpClient
from alerthub.channels.message import MessageStyle, RenderedMessage
from alerthub.errors import DeliveryError

_LINE_BREAKS = re.compile(r"[\r\n\x0b\x0c\x85\u2028\u2029]+")


def one_line(text: str) -> str:
    return _LINE_BREAKS.sub(" ", text).strip()


class Subject(str):
    """A subject the standard library folds without losing spaces.

    Python's folder splits a non-ASCII subject into RFC 2047 encoded words at spaces and drops a space
    that falls between an unencoded word and the next encoded one ("Shop API 업타임" arrives as
    "Shop API업타임"). Here the whole subject is encoded, spaces inside the words, split only at
    character boundaries: a reader joins adjacent encoded words with nothing in between, as RFC 2047
    says. `name` and `fold` make `EmailMessage` keep it as it is (the header-object protocol)."""

    name = "Subject"

    def fold(self, *, policy: Policy) -> str:
        if self.isascii() and isinstance(policy, EmailPolicy):
            return str(policy.header_factory(self.name, str(self)).fold(policy=policy))
        encoded = Header(str(self), "utf-8", header_name=self.name).encode(linesep=policy.linesep)
        return f"{self.name}: {encoded}{policy.linesep}"


class EmailChannelConfig(ChannelSettings):
    type: Literal["email"]
    smtp_host: str
    smtp_port: int = Field(587, ge=1, le=65535)
    username: str | None = None
    password: SecretStr | None = None
    from_: str | None = Field(None, alias="from")
    to: list[str] = Field(min_length=1)
    tls: Literal["starttls", "ssl", "none"] = "starttls"
    validate_certs: bool = True

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("to", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        return [p.strip() for p in value.split(",") if p.strip()] if isinstance(value, str) else value


class EmailChannel:
    kind: ClassVar[str] = "email"
    config_model: ClassVar[type[ChannelSettings]] = EmailChannelConfig
    threads: ClassVar[ThreadStyle] = "reply"
    style: ClassVar[MessageStyle] = MessageStyle(html_part=True)
    pace: ClassVar[Pace] = Pace(0.2, 5)  # SMTP servers deserve modesty (Gmail: ~500 a day)
    in_flight: ClassVar[int] = 1
    pages_by: ClassVar[PageStyle] = "direct"

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

    async def send(self, message: RenderedMessage, http: HttpClient) -> SendResult:
        return await self._deliver(self.build(message, None))

    async def reply_to_threads(
        self, message: RenderedMessage, external_ids: Sequence[str], http: HttpClient
    ) -> SendResult:
        """A digest: one mail, a reply in each thread it speaks of (In-Reply-To may name several)."""
        return await self._deliver(self.build(message, " ".join(external_ids) or None))

    async def update(self, message: RenderedMessage, external_id: str, http: HttpClient) -> SendResult:
        await self._deliver(self.build(message, external_id))
        # The thread stays anchored on the first message, so every later reply points at it.
        return SendResult(external_id)

    def build(self, message: RenderedMessage, reply_to: str | None) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = ", ".join(message.recipients or self.config.to)  # a page goes to the people it pages
        subject = one_line(message.title)
        mail["Subject"] = Subject(f"Re: {subject}" if reply_to else subject)
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
