"""A real OpenID Connect provider for the single sign-on tests: django-oauth-toolkit in its own Django project.

Started in its own process by tests/oidc_server.py (its own settings, SQLite in a temporary folder, an RS256 key
made for the run); never part of DermReview. Its applications stand for the cases DermReview must handle:
`dermreview` (the right registration, with a consent page), `wrong-audience` (ID tokens whose `aud` names
another application) and `expired-tokens` (ID tokens already expired when issued, as a clock far apart would).
"""
