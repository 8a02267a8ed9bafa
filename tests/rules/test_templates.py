from alerthub.domain.rule import Rule
from alerthub.domain.severity import Severity
from alerthub.domain.signal import Signal
from alerthub.rules.templates import annotate, check_template


def test_summary_and_description_render_from_the_signal() -> None:
    rule = Rule(
        "queue",
        thresholds={Severity.HIGH: 10},
        labels={"team": "backend"},
        summary="Queue {{ labels.queue }} holds {{ value | int }} jobs",
        description="{{ rule }} for {{ labels.team }} at {{ severity }}",
    )
    signal = annotate(Signal("queue", "api", value=42.0, labels={"queue": "mail"}), rule)
    assert signal.annotations["summary"] == "Queue mail holds 42 jobs"
    assert signal.annotations["description"] == "queue for backend at warning"


def test_a_missing_label_keeps_the_alert_and_says_why() -> None:
    rule = Rule("queue", summary="{{ labels.nope }}")
    signal = annotate(Signal("queue", "api", value=1.0), rule)
    assert "template error" in signal.annotations["summary"]


def test_the_sandbox_refuses_python_internals() -> None:
    rule = Rule("evil", summary="{{ value.__class__.__mro__[1].__subclasses__() }}")
    signal = annotate(Signal("evil", "api", value=1.0), rule)
    assert "template error" in signal.annotations["summary"] or "subclasses" not in signal.annotations["summary"]
    assert "<class" not in signal.annotations["summary"]


def test_outside_text_is_data_not_template() -> None:
    rule = Rule("x", summary="{{ annotations.title }}")
    signal = annotate(Signal("x", "api", value=1.0, annotations={"title": "{{ 7 * 7 }}"}), rule)
    assert signal.annotations["summary"] == "{{ 7 * 7 }}"


def test_syntax_errors_are_found_up_front() -> None:
    assert check_template("{{ broken") is not None
    assert check_template("{{ fine }}") is None
