"""The escalation's stepping, decided without I/O: each step after its wait and not before, rounds and
their end, an acknowledgement or a resolution ending it, and an acknowledgement that lapses."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from alerthub.config.models import Config
from alerthub.domain.alert import AlertState
from alerthub.domain.escalation import Escalation, EscalationPolicy, EscalationState, EscalationStep
from alerthub.domain.oncall import Override
from alerthub.oncall.escalation import AlertNow, Move, decide, reach
from alerthub.services.oncall import roster_from

T0 = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)
FIRST = EscalationStep(("schedule:primary",), timedelta(minutes=10))
SECOND = EscalationStep(("person:bob", "receiver:managers"), timedelta(minutes=15), via=("mail",))
POLICY = EscalationPolicy("critical", (FIRST, SECOND))
FIRING = AlertNow(AlertState.FIRING, 1)


def fresh() -> Escalation:
    return Escalation(1, 7, 1, "ops", "critical", EscalationState.ACTIVE, 0, 0, 0, T0, T0, T0)


def moved(esc: Escalation, move: Move, now: datetime) -> Escalation:
    return replace(
        esc, state=move.state, cycle=move.cycle, round=move.round, step=move.step, next_at=move.next_at, updated_at=now
    )


def test_each_step_waits_for_its_wait_then_the_policy_is_exhausted() -> None:
    esc = fresh()
    first = decide(esc, POLICY, FIRING, T0)
    assert first.take == FIRST and first.label == "step 1 of 2" and first.note == "first page"
    assert first.next_at == T0 + timedelta(minutes=10)
    esc = moved(esc, first, T0)
    later = T0 + timedelta(minutes=10)
    second = decide(esc, POLICY, FIRING, later)
    assert second.take == SECOND and second.label == "step 2 of 2"
    assert second.note == "no acknowledgement after 10m"
    assert second.next_at == later + timedelta(minutes=15)
    esc = moved(esc, second, later)
    end = decide(esc, POLICY, FIRING, later + timedelta(minutes=15))
    assert end.take is None and end.state is EscalationState.EXHAUSTED and end.next_at is None
    assert end.note == "every step taken and no acknowledgement after 15m"


def test_repeat_goes_round_the_steps_again() -> None:
    policy = replace(POLICY, repeat=1)
    esc = replace(fresh(), step=2)  # both steps of the first round taken
    again = decide(esc, policy, FIRING, T0)
    assert again.take == FIRST and again.round == 1 and again.label == "step 1 of 2, round 2"
    assert again.note == "no acknowledgement after 15m: round 2"
    done = decide(replace(esc, round=1), policy, FIRING, T0)
    assert done.state is EscalationState.EXHAUSTED and done.note.startswith("every step taken in 2 rounds")


def test_an_acknowledgement_or_a_resolution_ends_it() -> None:
    acked = AlertNow(AlertState.ACKNOWLEDGED, 1, "alice", T0)
    stop = decide(fresh(), POLICY, acked, T0)
    assert stop.state is EscalationState.DONE and stop.take is None and stop.note == "acknowledged by alice"
    for gone in (AlertNow(AlertState.RESOLVED, 1), AlertNow(None, 0), AlertNow(AlertState.FIRING, 2)):
        over = decide(fresh(), POLICY, gone, T0)
        assert over.state is EscalationState.DONE and over.note == "the alert resolved"
    assert decide(fresh(), None, FIRING, T0).note == "the policy 'critical' is no longer configured"


def test_an_acknowledgement_lapses_after_ack_timeout_and_the_policy_starts_over() -> None:
    policy = replace(POLICY, ack_timeout=timedelta(hours=1))
    acked = AlertNow(AlertState.ACKNOWLEDGED, 1, "alice", T0)
    esc = replace(fresh(), step=2)
    waiting = decide(esc, policy, acked, T0 + timedelta(minutes=5))
    assert waiting.state is EscalationState.ACKNOWLEDGED and waiting.next_at == T0 + timedelta(hours=1)
    assert waiting.take is None and not waiting.lapse
    esc = moved(esc, waiting, T0)
    lapsed = decide(esc, policy, acked, T0 + timedelta(hours=1))
    assert lapsed.lapse and lapsed.take == FIRST and lapsed.cycle == 1 and lapsed.round == 0 and lapsed.step == 1
    assert lapsed.note == "the acknowledgement by alice lapsed after 1h: paging again"


def test_an_exhausted_escalation_woken_while_still_firing_stays_put() -> None:
    esc = replace(fresh(), state=EscalationState.EXHAUSTED, step=2, next_at=T0)
    stay = decide(esc, POLICY, FIRING, T0)
    assert stay.state is EscalationState.EXHAUSTED and stay.take is None and stay.next_at is None


ROSTER = roster_from(
    Config.model_validate(
        {
            "people": [{"name": "alice", "email": "a@example.com"}, {"name": "bob"}, {"name": "carol"}],
            "schedules": [
                {
                    "name": "primary",
                    "time_zone": "UTC",
                    "rotation": {"every": "1d", "handoff": "2026-12-01T00:00:00Z", "people": ["alice", "bob"]},
                },
                {
                    "name": "nights",
                    "time_zone": "UTC",
                    "rotation": {"every": "1d", "handoff": "2026-12-01T00:00:00Z", "people": ["carol"]},
                    "restrict": [{"times": [{"start_time": "22:00", "end_time": "23:00"}]}],
                },
            ],
        }
    )
)


def test_reach_names_who_is_on_call_now_overrides_included_and_says_who_is_missing() -> None:
    step = EscalationStep(("schedule:primary", "person:alice", "receiver:managers", "schedule:nights"), timedelta(1))
    found = reach(step, ROSTER, (), T0)  # 4 December: the fourth day from the handoff is bob's
    assert found.people == ("bob", "alice") and found.receivers == ("managers",)
    assert found.gaps == ("nobody is on call for schedule 'nights'",)
    override = Override(1, "primary", "carol", T0 - timedelta(hours=1), T0 + timedelta(hours=1), "x", T0)
    assert reach(step, ROSTER, (override,), T0).people == ("carol", "alice")
