"""Secrets shaped like the real ones, and a check that none of them, nor any piece of one, shows in a text."""

from __future__ import annotations

from urllib.parse import quote

# Random-looking, as real tokens are: any 8 characters of one in a row in a text are a leak.
HOOK_TOKEN = "Zk3vT9qL2mWx8RbN4pYcQa7s"
QUERY_TOKEN = "q9Xv2LmT7rZpW4ksHd6J"
PASSWORD = "Pw-8fK2nQ7xLm3vRt5"
SLACK_IDS = ("T024BE7LD", "B01ABCDEF12")
SLACK_TOKEN = "XoR5bT8kLq2WnV7cZs4dHf9m"
DISCORD_ID = "1187654321098765432"
DISCORD_TOKEN = "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z-CdEfGhIjKlMnOpQrStUvWxYz0123456789"
TELEGRAM_SECRET = "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
TELEGRAM_TOKEN = f"123456789:{TELEGRAM_SECRET}"

TOKENS = (HOOK_TOKEN, QUERY_TOKEN, PASSWORD, SLACK_TOKEN, DISCORD_TOKEN, TELEGRAM_SECRET)
WHOLE = (*SLACK_IDS, DISCORD_ID, TELEGRAM_TOKEN)


def leaks(text: str) -> list[str]:
    """Every piece of a secret found in `text`, whatever the case or URL-encoding."""
    seen = text.lower()
    found = [w for w in WHOLE if w.lower() in seen or quote(w, safe="").lower() in seen]
    for token in TOKENS:
        found += [token[i : i + 8] for i in range(len(token) - 7) if token[i : i + 8].lower() in seen]
    return found
