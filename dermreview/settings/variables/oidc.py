"""Single sign-on: OpenID Connect against the hospital's identity provider (dermreview/accounts/oidc/)."""

from __future__ import annotations

from dermreview.settings.variable import Section, Variable

_DISCOVERED = "discovered from the issuer"

SECTION = Section("Single sign-on (OpenID Connect)", (
    Variable(
        "DERMREVIEW_OIDC_ENABLED", "bool", default=False,
        meaning="Offer \"Sign in with ...\" on the log-in page (authorization code flow with PKCE). Needs the "
                "issuer, the client id and secret and a group map; start-up stops if one is missing.",
    ),
    Variable(
        "DERMREVIEW_OIDC_PROVIDER_NAME", "str", default="single sign-on",
        meaning="The provider's name on the button: \"Sign in with <name>\".",
    ),
    Variable(
        "DERMREVIEW_OIDC_ISSUER", "url", choices=("https", "http"), example="https://login.example-hospital.org",
        meaning="The provider's issuer (`iss`). ID tokens from any other issuer are refused; the endpoints below are "
                "read from `<issuer>/.well-known/openid-configuration` unless set.",
    ),
    Variable("DERMREVIEW_OIDC_AUTHORIZATION_ENDPOINT", "url", choices=("https", "http"), shown_default=_DISCOVERED,
             meaning="The provider's authorization endpoint."),
    Variable("DERMREVIEW_OIDC_TOKEN_ENDPOINT", "url", choices=("https", "http"), shown_default=_DISCOVERED,
             meaning="The provider's token endpoint."),
    Variable("DERMREVIEW_OIDC_USERINFO_ENDPOINT", "url", choices=("https", "http"), shown_default=_DISCOVERED,
             meaning="The provider's userinfo endpoint (its claims are merged under the ID token's)."),
    Variable("DERMREVIEW_OIDC_JWKS_ENDPOINT", "url", choices=("https", "http"), shown_default=_DISCOVERED,
             meaning="The provider's signing keys (JWKS)."),
    Variable("DERMREVIEW_OIDC_END_SESSION_ENDPOINT", "url", choices=("https", "http"), shown_default=_DISCOVERED,
             meaning="Where log-out sends the browser after ending the DermReview session, to end the provider's "
                     "session too. Unset and not discovered: log-out ends DermReview's session only."),
    Variable(
        "DERMREVIEW_OIDC_CLIENT_ID", "str", default="",
        meaning="DermReview's client id at the provider; ID tokens for any other audience are refused.",
    ),
    Variable("DERMREVIEW_OIDC_CLIENT_SECRET", "str", default="", meaning="DermReview's client secret."),
    Variable(
        "DERMREVIEW_OIDC_SCOPES", "list", default=["openid", "email", "profile"],
        meaning="Scopes asked for; add the one your provider needs to release the groups claim (e.g. `groups`).",
    ),
    Variable(
        "DERMREVIEW_OIDC_SIGN_ALGO", "choice", default="RS256", choices=("RS256", "RS384", "RS512", "ES256", "ES384"),
        meaning="The ID token's signature algorithm; any other is refused.",
    ),
    Variable(
        "DERMREVIEW_OIDC_SUBJECT_CLAIM", "str", default="sub",
        meaning="The stable, never reassigned claim that identifies a person at the provider. Users are matched by "
                "(issuer, this claim), never by e-mail (e.g. `oid` for Microsoft Entra ID).",
    ),
    Variable(
        "DERMREVIEW_OIDC_GROUPS_CLAIM", "str", default="groups",
        meaning="The claim (a list or one string) whose values the group map looks up.",
    ),
    Variable(
        "DERMREVIEW_OIDC_GROUP_MAP", "str", default="{}",
        meaning="JSON: group -> `{\"organisation\": <clinic slug>, \"role\": <role>}` (or `\"roles\": [...]`), e.g. "
                "`{\"derm-reviewers\": {\"organisation\": \"riverside\", \"role\": \"reviewer\"}}`; roles "
                "`clinician`, `reviewer`, `auditor`, `clinic_admin`. Clinic and roles are set from it at every "
                "sign-in, never chosen by the user; someone in no mapped group is refused and no account is made.",
    ),
    Variable(
        "DERMREVIEW_OIDC_CLOCK_SKEW_S", "int", default=60, minimum=0, maximum=600,
        meaning="Tolerance, seconds, for the ID token's `exp`/`iat` against this server's clock.",
    ),
))
