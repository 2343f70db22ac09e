"""Single sign-on with OpenID Connect (mozilla-django-oidc as the relying party).

- `mapping`: which clinic and roles a person's claims give them (a pure function of the claims and the table).
- `provider`: the provider's endpoints, explicit or discovered, and the end-session URL.
- `backends`: the OIDC backend (token checks, matching by issuer and subject) and the password backend that refuses
  clinics with local passwords disabled.
- `services`: creating, linking and updating the account of a signed-in person (audited).
- `views`: sign-in, callback with refusal pages, sign-out.
"""
