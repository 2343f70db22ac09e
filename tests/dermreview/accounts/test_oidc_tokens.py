"""The ID token checks the library leaves out (issuer, audience, authorised party, lifetime, required claims) and
its nonce, on tokens signed here with a real RSA key. The end-to-end journey (tests/e2e/test_oidc_journey.py) covers
the same backend against the real provider, its key set included; this file reaches the cases a well-behaved
provider never produces."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from dermreview.accounts.oidc.backends import OidcBackend
from dermreview.accounts.oidc.errors import SignInRefused

ISSUER = "https://login.riverside.example"
CLIENT = "dermreview"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


class _LocalKeyBackend(OidcBackend):
    """The backend with the provider's key set replaced by the one public key the tests sign with."""

    def retrieve_matching_jwk(self, token: str) -> Any:
        return KEY.public_key()


@pytest.fixture
def backend(settings) -> OidcBackend:  # noqa: ANN001
    settings.DERMREVIEW_OIDC_ISSUER = ISSUER
    settings.OIDC_RP_CLIENT_ID = CLIENT
    settings.OIDC_RP_SIGN_ALGO = "RS256"
    settings.DERMREVIEW_OIDC_CLOCK_SKEW_S = 60
    backend = _LocalKeyBackend()
    backend.OIDC_RP_CLIENT_ID = CLIENT
    backend.OIDC_RP_SIGN_ALGO = "RS256"
    return backend


def _token(key: Any = KEY, algorithm: str = "RS256", **changes: Any) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": CLIENT, "sub": "s-1", "iat": now, "exp": now + 300, "nonce": "n-1", **changes}
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, key, algorithm=algorithm)


def _reason(backend: OidcBackend, token: str, nonce: str = "n-1") -> str:
    with pytest.raises(SignInRefused) as refused:
        backend.verify_token(token, nonce=nonce)
    return refused.value.reason


def test_token_valid_one_is_accepted(backend: OidcBackend) -> None:
    assert backend.verify_token(_token(), nonce="n-1")["sub"] == "s-1"


def test_token_within_the_clock_skew_is_accepted(backend: OidcBackend) -> None:
    assert backend.verify_token(_token(exp=int(time.time()) - 30), nonce="n-1")["sub"] == "s-1"


@pytest.mark.parametrize(("changes", "reason"), [
    ({"aud": "another-app"}, "wrong_audience"),
    ({"aud": [CLIENT, "another-app"]}, "wrong_audience"),  # several audiences and no azp naming us
    ({"aud": [CLIENT, "another-app"], "azp": "another-app"}, "wrong_audience"),
    ({"exp": int(time.time()) - 120}, "expired_token"),
    ({"iat": int(time.time()) + 3600}, "expired_token"),  # issued in the future: a clock far ahead
    ({"iss": "https://evil.example"}, "wrong_issuer"),
    ({"exp": None}, "invalid_token"),
    ({"iss": None}, "invalid_token"),
    ({"nonce": "replayed"}, "nonce_mismatch"),
])
def test_token_refused_with_its_reason(backend: OidcBackend, changes: dict, reason: str) -> None:
    assert _reason(backend, _token(**changes)) == reason


def test_token_signed_by_another_key_or_algorithm_is_refused(backend: OidcBackend) -> None:
    assert _reason(backend, _token(key=OTHER_KEY)) == "invalid_token"
    assert _reason(backend, _token(key="a-shared-secret-of-32-bytes-or-more!", algorithm="HS256")) == "invalid_token"


def test_token_refusal_details_name_what_it_claimed(backend: OidcBackend) -> None:
    with pytest.raises(SignInRefused) as refused:
        backend.verify_token(_token(aud="another-app"), nonce="n-1")
    assert refused.value.details["aud"] == "another-app" and refused.value.details["sub"] == "s-1"
