from django.apps import AppConfig


class OidcProviderConfig(AppConfig):
    name = "tests.oidc_provider"
    label = "test_oidc_provider"
