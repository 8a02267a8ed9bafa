from alerthub.domain.labels import fingerprint


def test_label_order_does_not_split_an_alert() -> None:
    assert fingerprint("r", {"a": "1", "b": "2"}) == fingerprint("r", {"b": "2", "a": "1"})


def test_rule_and_every_label_value_matter() -> None:
    base = fingerprint("r", {"service": "api"})
    assert base != fingerprint("other", {"service": "api"})
    assert base != fingerprint("r", {"service": "web"})
    assert base != fingerprint("r", {"service": "api", "host": "h1"})


def test_identity_restricts_to_named_labels() -> None:
    first = fingerprint("pagerduty", {"dedup_key": "k", "source": "a"}, identity=("dedup_key",))
    later = fingerprint("pagerduty", {"dedup_key": "k"}, identity=("dedup_key",))
    assert first == later


def test_separators_prevent_collisions_between_names_and_values() -> None:
    assert fingerprint("r", {"ab": "c"}) != fingerprint("r", {"a": "bc"})
