import pytest

from alerthub.web import i18n


@pytest.mark.parametrize(
    ("cookie", "header", "expected"),
    [
        (None, None, "en"),
        (None, "ko-KR,ko;q=0.9,en-US;q=0.8", "ko"),
        (None, "en-US,en;q=0.9,ko;q=0.8", "en"),
        (None, "fr-FR,ko;q=0.5", "ko"),
        (None, "ko;q=0.2,en;q=0.7", "en"),
        (None, "ko;q=garbage", "en"),
        ("en", "ko-KR", "en"),
        ("xx", "ko-KR", "ko"),
    ],
)
def test_language_choice(cookie: str | None, header: str | None, expected: str) -> None:
    assert i18n.pick(cookie, header) == expected


def test_both_languages_have_every_message() -> None:
    en, ko = i18n.translator("en"), i18n.translator("ko")
    assert en.keys() == ko.keys()
    assert all(ko[k] and en[k] for k in en)
    assert i18n.translator("de") == en


@pytest.mark.parametrize(
    ("seconds", "en", "ko"),
    [
        (45, "45s", "45초"),
        (90, "1m 30s", "1분 30초"),
        (3600, "1h", "1시간"),
        (5400, "1h 30m", "1시간 30분"),
        (90000, "1d 1h", "1일 1시간"),
    ],
)
def test_durations(seconds: float, en: str, ko: str) -> None:
    assert (i18n.duration(seconds, "en"), i18n.duration(seconds, "ko")) == (en, ko)
