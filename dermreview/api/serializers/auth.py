"""Token exchange and the caller's own identity."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from dermreview.accounts.roles import Role, roles_of


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})
    otp = serializers.CharField(
        max_length=32, required=False, allow_blank=True,
        help_text="With two-factor authentication: the current code of your authenticator app, or a recovery code.",
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`. Shown this once: only a digest "
                                            "of it is stored.")
    prefix = serializers.CharField(help_text="The token's first characters, as the admin lists it.")
    rotated = serializers.BooleanField(help_text="True when you had a token before: that one no longer works.")
    username = serializers.CharField()


class OrganisationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    organisation = OrganisationSerializer(allow_null=True)
    roles = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=[r.value for r in Role])))
    def get_roles(self, user: Any) -> list[str]:
        return sorted(role.value for role in roles_of(user))
