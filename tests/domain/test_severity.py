import pytest

from alerthub.domain.severity import Severity


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("critical", Severity.CRITICAL),
        ("fatal", Severity.CRITICAL),
        ("error", Severity.HIGH),
        ("High", Severity.HIGH),
        (" warning ", Severity.WARNING),
        ("warn", Severity.WARNING),
        ("debug", Severity.INFO),
        ("info", Severity.INFO),
    ],
)
def test_words_of_other_tools_map_onto_four_levels(word: str, expected: Severity) -> None:
    assert Severity.parse(word) is expected


def test_unknown_word_falls_back_to_default() -> None:
    assert Severity.parse("purple") is None
    assert Severity.parse("purple", Severity.WARNING) is Severity.WARNING


def test_rank_orders_levels() -> None:
    ranks = [s.rank for s in (Severity.INFO, Severity.WARNING, Severity.HIGH, Severity.CRITICAL)]
    assert ranks == sorted(ranks) and len(set(ranks)) == 4
