from __future__ import annotations

import pytest

from alerthub.sources.signatures import bearer_token, hmac_sha256_hex, signature_matches, token_matches

VECTOR_BODY = (
    b'{"action":"created","installation":{"uuid":"a8e5d37a-696c-4c54-adb5-b3f28d64c7de"},"data":{"comment":'
    b'"h\\u00e9llo","project_slug":"sentry","comment_id":1234,"issue_id":100,"timestamp":'
    b'"2022-03-02T21:51:44.118160Z"},"actor":{"type":"user","id":1,"name":"colleen"}}'
)
VECTOR_SIGNATURE = "fff3dbc341b4e2849faf0395fa9ac4b19d6887dcd7be3f827309535a785aa9ce"


def test_sentry_signature_test_vector() -> None:
    assert hmac_sha256_hex("test-client-secret", VECTOR_BODY) == VECTOR_SIGNATURE
    assert signature_matches("test-client-secret", VECTOR_BODY, VECTOR_SIGNATURE)
    assert signature_matches("test-client-secret", VECTOR_BODY, VECTOR_SIGNATURE.upper() + "\n")


@pytest.mark.parametrize("signature", [None, "", "0" * 64, VECTOR_SIGNATURE[:-1], "é" * 64])
def test_wrong_signatures_do_not_match(signature: str | None) -> None:
    assert not signature_matches("test-client-secret", VECTOR_BODY, signature)


def test_a_reserialised_body_does_not_match() -> None:
    spaced = VECTOR_BODY.replace(b'":', b'": ')
    assert not signature_matches("test-client-secret", spaced, VECTOR_SIGNATURE)


@pytest.mark.parametrize(
    ("expected", "given", "ok"),
    [("s3cret", "s3cret", True), ("s3cret", "s3cre", False), (None, "x", False), ("", "", False), ("x", None, False)],
)
def test_tokens(expected: str | None, given: str | None, ok: bool) -> None:
    assert token_matches(expected, given) is ok


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc", "abc"),
        ("bearer  abc ", "abc"),
        ("Basic abc", None),
        ("Bearer", None),
        (None, None),
        ("abc", None),
    ],
)
def test_bearer_token(header: str | None, token: str | None) -> None:
    assert bearer_token(header) == token
