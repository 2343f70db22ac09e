"""Why a single sign-on was refused: one code for the audit trail, one message for the person."""

from __future__ import annotations

MESSAGES = {
    "unmapped_group": "Your account is not mapped to a clinic; ask your administrator to add you to a group that "
                      "DermReview maps to your clinic.",
    "conflicting_clinics": "Your groups map you to more than one clinic; ask your administrator to leave you in the "
                           "groups of one clinic only.",
    "unknown_clinic": "Your group maps to a clinic that does not exist in DermReview; ask your administrator to "
                      "correct the single sign-on group map.",
    "wrong_audience": "The identity provider issued this sign-in for a different application (the token's audience "
                      "is not DermReview). Nothing was signed in; ask your administrator to check DermReview's "
                      "client registration.",
    "expired_token": "The identity provider's sign-in token had already expired. Try again; if it keeps happening, "
                     "the clocks of DermReview and the identity provider may disagree.",
    "wrong_issuer": "The sign-in token came from an identity provider DermReview does not trust.",
    "invalid_token": "The sign-in token could not be verified (its signature or its contents are not valid).",
    "nonce_mismatch": "The sign-in token does not belong to this browser's sign-in. Start again from the log-in page.",
    "missing_subject": "The identity provider did not say who you are (no stable subject claim). Ask your "
                       "administrator to check the single sign-on settings.",
    "account_disabled": "Your DermReview account is disabled; ask your administrator.",
    "provider_error": "The identity provider could not complete the sign-in. Try again; if it keeps happening, ask "
                      "your administrator.",
    "state_mismatch": "This sign-in was not started from this browser, or it was already used. Start again from the "
                      "log-in page.",
}


class SignInRefused(Exception):
    """A single sign-on that must not sign anyone in; `reason` is a key of MESSAGES, `details` go to the audit."""

    def __init__(self, reason: str, **details: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details

    @property
    def message(self) -> str:
        return MESSAGES[self.reason]
