"""Lesions: one lesion of one patient followed across visits, with its body site, side and body-map position."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from dermreview.api.serializers.text import NormalisedCharField
from dermreview.cases.models import BodyMapView, BodySite, Laterality, Lesion

MAP_FIELDS = ("map_view", "map_x", "map_y")


class LesionSerializer(serializers.ModelSerializer):
    patient = serializers.IntegerField(source="patient_id", read_only=True)
    patient_reference = serializers.CharField(source="patient.reference", read_only=True)
    visit_count = serializers.IntegerField(read_only=True, help_text="Cases (visits) of this lesion.")
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    timeline_url = serializers.SerializerMethodField(help_text="Every visit of this lesion, newest first.")
    map_view = serializers.ChoiceField(choices=BodyMapView.choices, allow_blank=True, read_only=True,
                                       help_text="Empty until the lesion is placed on the body map.")

    class Meta:
        model = Lesion
        fields = ["id", "patient", "patient_reference", "body_site", "laterality", "label", "map_view", "map_x",
                  "map_y", "visit_count", "timeline_url", "created_by", "created_at", "updated_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField())
    def get_timeline_url(self, lesion: Lesion) -> str:
        path = reverse("api-lesion-timeline", args=[lesion.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class _MapPositionSerializer(serializers.Serializer):
    """The body-map position: the figure and where on it, as fractions of its width and height from the top left
    (0-1, so it does not depend on the size the figure is drawn at). All three together, or none."""

    map_view = serializers.ChoiceField(choices=BodyMapView.choices, required=False)
    map_x = serializers.FloatField(min_value=0, max_value=1, required=False,
                                   help_text="0 (left edge of the figure) to 1 (right edge).")
    map_y = serializers.FloatField(min_value=0, max_value=1, required=False,
                                   help_text="0 (top of the figure) to 1 (bottom).")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        given = [name for name in MAP_FIELDS if name in attrs]
        if given and len(given) != len(MAP_FIELDS):
            missing = [name for name in MAP_FIELDS if name not in attrs]
            raise serializers.ValidationError(
                {name: ["Give map_view, map_x and map_y together."] for name in missing})
        return attrs


class LesionCreateSerializer(_MapPositionSerializer):
    patient = serializers.IntegerField(help_text="A patient of your clinic (404 otherwise).")
    body_site = serializers.ChoiceField(choices=BodySite.choices)
    laterality = serializers.ChoiceField(choices=Laterality.choices, default=Laterality.UNKNOWN)
    label = NormalisedCharField(max_length=64, allow_blank=True, required=False, default="",
                                help_text="A short label, e.g. 'L1 left shoulder'. Never a name.")


class LesionUpdateSerializer(_MapPositionSerializer):
    """Correct the site, side or label, or place (move) the lesion on the body map. The visits keep the site and
    label they were opened and signed with."""

    body_site = serializers.ChoiceField(choices=BodySite.choices, required=False)
    laterality = serializers.ChoiceField(choices=Laterality.choices, required=False)
    label = NormalisedCharField(max_length=64, allow_blank=True, required=False)


class LesionFilterSerializer(serializers.Serializer):
    patient = serializers.IntegerField(required=False, help_text="A patient of your clinic (404 otherwise).")
