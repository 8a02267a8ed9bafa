"""Action link tokens: what one signs comes back whole; anything else is refused, expiry included."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alerthub.domain.action_token import Action, ActionGrant, ActionTokenCodec
from alerthub.errors import ExpiredError, ForbiddenError

NOW = 1_800_000_000
GRANT = ActionGrant(alert_id=42, episode=3, action=Action.ACK, person="kim", expires=NOW + 3600)


@given(
    alert_id=st.integers(1, 2**62),
    episode=st.integers(1, 10**6),
    action=st.sampled_from(Action),
    person=st.text(min_size=1, max_size=50),
)
def test_a_signed_grant_decodes_to_itself(alert_id: int, episode: int, action: Action, person: str) -> None:
    grant = ActionGrant(alert_id, episode, action, person, NOW + 60)
    codec = ActionTokenCodec("server secret")
    assert codec.decode(codec.encode(grant), NOW) == grant


def test_the_token_is_url_safe() -> None:
    token = ActionTokenCodec("s").encode(GRANT)
    assert all(c.isalnum() or c in "-_." for c in token)


@pytest.mark.parametrize("position", [3, 10, -5])
def test_a_changed_character_is_refused(position: int) -> None:
    codec = ActionTokenCodec("s")
    token = codec.encode(GRANT)
    flipped = token[:position] + ("A" if token[position] != "A" else "B") + token[position + 1 :]
    with pytest.raises(ForbiddenError):
        codec.decode(flipped, NOW)


def test_another_hubs_token_is_refused() -> None:
    with pytest.raises(ForbiddenError):
        ActionTokenCodec("theirs").decode(ActionTokenCodec("ours").encode(GRANT), NOW)


@pytest.mark.parametrize("garbage", ["", "a1", "a1..", "v1.e30.x", "a1.!!!.sig", "." * 500])
def test_garbage_is_refused_not_an_error(garbage: str) -> None:
    with pytest.raises(ForbiddenError):
        ActionTokenCodec("s").decode(garbage, NOW)


def test_a_session_cookie_signed_with_the_same_secret_is_not_an_action_token() -> None:
    from alerthub.services.credentials import Session, SessionCodec

    cookie = SessionCodec("s").encode(Session("kim", "csrf", NOW + 60, "sid"))
    with pytest.raises(ForbiddenError):
        ActionTokenCodec("s").decode(cookie.replace("v1.", "a1.", 1), NOW)


def test_an_expired_token_is_gone() -> None:
    codec = ActionTokenCodec("s")
    with pytest.raises(ExpiredError):
        codec.decode(codec.encode(GRANT), GRANT.expires)


@given(
    alert_id=st.integers(1, 10**18 - 1),
    episode=st.integers(1, 10**9 - 1),
    action=st.sampled_from((Action.ACK, Action.RESOLVE, Action.SILENCE)),
    expires=st.integers(NOW + 1, 2**40),
)
def test_a_button_fits_telegrams_64_bytes_and_checks_back_to_its_grant(
    alert_id: int, episode: int, action: Action, expires: int
) -> None:
    codec = ActionTokenCodec("server secret")
    ref = codec.button(alert_id, episode, action, expires)
    assert len(f"{action.value}:{ref}".encode()) <= 64
    assert all(c.isalnum() or c in "-_." for c in ref)
    assert codec.check_button(action.value, ref, "alice", NOW) == ActionGrant(
        alert_id, episode, action, "alice", expires
    )


@given(message=st.integers(1, 10**18 - 1), expires=st.integers(NOW + 1, 2**40))
def test_acknowledge_all_names_the_message_in_its_token_and_its_button(message: int, expires: int) -> None:
    codec = ActionTokenCodec("server secret")
    grant = ActionGrant(0, 0, Action.ACK_ALL, "alice", expires, message=message)
    assert codec.decode(codec.encode(grant), NOW) == grant
    ref = codec.button(message, 0, Action.ACK_ALL, expires)
    assert len(f"ack_all:{ref}".encode()) <= 64
    assert codec.check_button("ack_all", ref, "alice", NOW) == grant
    with pytest.raises(ForbiddenError, match="not valid"):  # not an alert's acknowledgement
        codec.check_button("ack", ref, "alice", NOW)
    with pytest.raises(ForbiddenError, match="not valid"):  # an alert's button cannot stand for a message
        codec.check_button("ack_all", codec.button(message, 0, Action.ACK, expires), "alice", NOW)


def test_a_forged_button_is_refused() -> None:
    """A Telegram client can put any data in a press: another alert, action, episode or expiry, another
    hub's signature, or no signature at all (the unsigned `<id>.<episode>` of earlier versions)."""
    codec = ActionTokenCodec("s")
    ref = codec.button(42, 3, Action.RESOLVE, NOW + 3600)
    number, episode, expiry, signature = ref.split(".")
    forged = {
        "another alert": ("resolve", f"43.{episode}.{expiry}.{signature}"),
        "another action": ("ack", ref),
        "another episode": ("resolve", f"{number}.4.{expiry}.{signature}"),
        "a later expiry": ("resolve", f"{number}.{episode}.zzzzzz.{signature}"),
        "another hub's": ("resolve", ActionTokenCodec("theirs").button(42, 3, Action.RESOLVE, NOW + 3600)),
        "garbage": ("resolve", "...."),
    }
    for case, (action, data) in forged.items():
        with pytest.raises(ForbiddenError, match="not valid"):
            codec.check_button(action, data, "mallory", NOW)
            pytest.fail(case)
    with pytest.raises(ForbiddenError, match="earlier alerthub"):
        codec.check_button("resolve", "42.3", "mallory", NOW)


def test_an_expired_button_is_gone() -> None:
    codec = ActionTokenCodec("s")
    with pytest.raises(ExpiredError):
        codec.check_button("ack", codec.button(42, 3, Action.ACK, NOW), "alice", NOW)
