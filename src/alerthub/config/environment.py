"""The seed's `.env` variables, understood with no configuration file at all."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def config_from_environment(env: Mapping[str, str]) -> dict[str, Any]:
    channels: list[dict[str, Any]] = []
    if env.get("SMTP_SERVER"):
        recipients = env.get("ALERT_EMAIL_TO") or env.get("SMTP_USERNAME") or ""
        port = env.get("SMTP_PORT", "587")
        channels.append(
            {
                "name": "email",
                "type": "email",
                "smtp_host": env["SMTP_SERVER"],
                "smtp_port": port,
                "username": env.get("SMTP_USERNAME"),
                "password": env.get("SMTP_PASSWORD"),
                "from": env.get("SMTP_USERNAME"),
                "to": recipients,
                "tls": "ssl" if port == "465" else "starttls",
            }
        )
    if env.get("DISCORD_WEBHOOK_URL"):
        channels.append({"name": "discord", "type": "discord", "url": env["DISCORD_WEBHOOK_URL"]})
    config: dict[str, Any] = {"channels": channels, "integrations": _integrations(env)}
    if channels:
        config["receivers"] = [{"name": "default", "channels": [c["name"] for c in channels]}]
        # One message per rule rather than one for everything: the seed's monitors each send one rule.
        config["route"] = {"receiver": "default", "group_by": ["alertname"]}
    if env.get("ALERTHUB_DATABASE_URL"):
        config["storage"] = {"url": env["ALERTHUB_DATABASE_URL"]}
    return config


def _integrations(env: Mapping[str, str]) -> dict[str, Any]:
    integrations: dict[str, Any] = {}
    if env.get("SENTRY_TOKEN"):
        integrations["sentry"] = {"api_token": env["SENTRY_TOKEN"], "org": env.get("SENTRY_ORG")}
    if env.get("HETRIXTOOLS_API_KEY"):
        integrations["hetrixtools"] = {"api_key": env["HETRIXTOOLS_API_KEY"]}
    if env.get("GA4_PROPERTY_ID"):
        integrations["ga4"] = {
            "property_id": env["GA4_PROPERTY_ID"],
            "credentials_file": env.get("GOOGLE_APPLICATION_CREDENTIALS"),
        }
    return integrations
