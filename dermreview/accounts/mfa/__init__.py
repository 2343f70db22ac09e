"""Two-factor authentication (TOTP authenticator apps, one-time recovery codes) on top of django-otp.

- `selectors.py`: who must use a second factor, and what a signed-in user must do next (enrol or verify).
- `services.py`: enrolment, verification, recovery codes, an administrator's reset; every event audited.
- `middleware.py`: a password-only session reaches the MFA pages, log-in and log-out, nothing else.
- `api.py`: the REST API's side: session calls need a verified session, the token exchange needs `otp`.
- `views.py`, `urls.py`, `forms.py`, `qr.py`: the enrolment, verification and overview pages.
- `admin.py`: authenticators in the Django admin, without their secrets; deleting one is an audited reset.

A Django app of its own (label `accounts_mfa`, no models: django-otp's `otp_totp` and `otp_static` hold the
devices) so that its admin module is discovered after django-otp's, whose registrations it replaces.
"""
