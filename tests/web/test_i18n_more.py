"""The messages kept in i18n_more.py join i18n.py's table without replacing any of its own."""

from __future__ import annotations

from pathlib import Path

from alerthub.web import i18n, i18n_more


def test_the_extra_messages_are_all_new_and_in_both_languages() -> None:
    table = Path(i18n.__file__).read_text(encoding="utf-8")
    assert [key for key in i18n_more.MESSAGES if f'"{key}":' in table] == []
    en, ko = i18n.translator("en"), i18n.translator("ko")
    for key, (english, korean) in i18n_more.MESSAGES.items():
        assert (en[key], ko[key]) == (english, korean) and english and korean
