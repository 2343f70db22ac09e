"""`lesions/{id}/timeline/`: every visit of a lesion, newest first, in a fixed number of queries.

Each visit carries its photos (ids and the token clients' media links, as the case endpoint gives them), the AI
draft's *status* per photo (never its text: the draft endpoint decides who may read that), the signed finding once
the visit is final (labelled human-confirmed), and the human-only management plan and change since the previous
visit from the sign-off that made it final. Four queries whatever the number of visits and photos: the visits,
their photos, the photos' drafts, the final visits' standing sign-offs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from dermreview.api.serializers.common import HUMAN_FINAL_LABEL, KIND_SIGNED_FINDING, FindingFieldsSerializer
from dermreview.api.serializers.drafts import DRAFT_API_STATUSES
from dermreview.api.serializers.reviews import DiagnosisClassSerializer
from dermreview.cases.models import CaptureType, Case, CaseStatus, Lesion, LesionImage
from dermreview.cases.selectors import image_positions
from dermreview.drafting.models import Draft
from dermreview.review.models import Review
from dermreview.review.models.plan import ChangeAspect, ChangeSincePrevious, ManagementPlan

_PHOTO_ROUTES = {"api_file_url": "api-image-file", "api_thumbnail_url": "api-image-thumbnail",
                 "api_display_url": "api-image-display", "ai_draft_url": "api-image-draft"}


@dataclass(frozen=True, slots=True)
class TimelinePhoto:
    image: LesionImage
    position: int
    ai_draft_status: str  # a DraftStatus value, or "none" when no draft was requested


@dataclass(frozen=True, slots=True)
class TimelineVisit:
    case: Case
    number: int  # visit 1 is the first
    photos: tuple[TimelinePhoto, ...]
    signed: tuple[Review, ...]  # the standing sign-offs of the final version, in round order; () until final


def _photos(images: Iterable[LesionImage], draft_status: dict[int, str]) -> dict[int, tuple[TimelinePhoto, ...]]:
    by_case: dict[int, list[LesionImage]] = {}
    for image in images:
        by_case.setdefault(image.case_id, []).append(image)
    result = {}
    for case_id, photos in by_case.items():
        positions = image_positions(photos)
        result[case_id] = tuple(TimelinePhoto(p, positions[p.pk], draft_status.get(p.pk, "none")) for p in photos)
    return result


def _latest_draft_status(lesion: Lesion) -> dict[int, str]:
    status: dict[int, str] = {}
    rows = (Draft.objects.filter(image__case__lesion=lesion).order_by("image_id", "-created_at", "-pk")
            .values_list("image_id", "status"))
    for image_id, value in rows:
        status.setdefault(image_id, value)  # the newest draft of each photo
    return status


def _signed(lesion: Lesion) -> dict[int, list[Review]]:
    by_case: dict[int, list[Review]] = {}
    reviews = (Review.objects.filter(case__lesion=lesion, case__status=CaseStatus.FINAL, voided_at__isnull=True)
               .select_related("reviewer", "lesion_class").order_by("case_id", "-version", "round"))
    for review in reviews:
        rounds = by_case.setdefault(review.case_id, [])
        if not rounds or rounds[0].version == review.version:  # the latest version's rounds only
            rounds.append(review)
    return by_case


def lesion_visits(lesion: Lesion) -> tuple[TimelineVisit, ...]:
    """The lesion's visits, newest first. The caller has checked that the user may see the lesion."""
    cases = list(Case.objects.filter(lesion=lesion).order_by("-created_at", "-pk"))
    images = LesionImage.objects.filter(case__lesion=lesion).order_by("case_id", "created_at", "pk")
    photos = _photos(images, _latest_draft_status(lesion))
    signed = _signed(lesion)
    return tuple(
        TimelineVisit(case=case, number=len(cases) - index, photos=photos.get(case.pk, ()),
                      signed=tuple(signed.get(case.pk, ())))
        for index, case in enumerate(cases)
    )


# --- output -------------------------------------------------------------------------------------------------


class TimelinePhotoSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="image.pk")
    position = serializers.IntegerField(help_text="The photo's number on its visit (\u201cPhoto 1\u201d is the oldest).")
    capture_type = serializers.ChoiceField(choices=CaptureType.choices, source="image.capture_type")
    created_at = serializers.DateTimeField(source="image.created_at")
    api_file_url = serializers.SerializerMethodField()
    api_thumbnail_url = serializers.SerializerMethodField()
    api_display_url = serializers.SerializerMethodField()
    ai_draft_status = serializers.ChoiceField(
        choices=DRAFT_API_STATUSES, help_text="The AI draft's processing status only: its text is not part of the "
                                              "timeline (read it, where your role allows, at `ai_draft_url`).")
    ai_draft_url = serializers.SerializerMethodField()

    def _url(self, photo: TimelinePhoto, name: str) -> str:
        path = reverse(_PHOTO_ROUTES[name], args=[photo.image.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    @extend_schema_field(serializers.URLField())
    def get_api_file_url(self, photo: TimelinePhoto) -> str:
        return self._url(photo, "api_file_url")

    @extend_schema_field(serializers.URLField())
    def get_api_thumbnail_url(self, photo: TimelinePhoto) -> str:
        return self._url(photo, "api_thumbnail_url")

    @extend_schema_field(serializers.URLField())
    def get_api_display_url(self, photo: TimelinePhoto) -> str:
        return self._url(photo, "api_display_url")

    @extend_schema_field(serializers.URLField())
    def get_ai_draft_url(self, photo: TimelinePhoto) -> str:
        return self._url(photo, "ai_draft_url")


class TimelineFindingSerializer(serializers.Serializer):
    """The visit's signed finding: what the reviewers confirmed, never an AI draft."""

    kind = serializers.ChoiceField(choices=KIND_SIGNED_FINDING)
    reviewed = serializers.BooleanField(help_text="Always true: a reviewer signed this.")
    label = serializers.CharField()
    review_id = serializers.IntegerField()
    version = serializers.IntegerField()
    fields = FindingFieldsSerializer(help_text="The reviewer-confirmed six fields.")
    lesion_class = DiagnosisClassSerializer(allow_null=True)
    signed_by = serializers.ListField(child=serializers.CharField(), help_text="Usernames, in round order.")
    signed_at = serializers.DateTimeField(help_text="When the sign-off that made the visit final was signed.")


class TimelinePlanSerializer(serializers.Serializer):
    """Human-only decisions recorded at the final sign-off; empty values when not recorded."""

    management_plan = serializers.ChoiceField(choices=ManagementPlan.choices, allow_blank=True)
    follow_up_on = serializers.DateField(allow_null=True)
    change_since_previous = serializers.ChoiceField(choices=ChangeSincePrevious.choices, allow_blank=True)
    change_aspects = serializers.ListField(child=serializers.ChoiceField(choices=ChangeAspect.choices))


class TimelineVisitSerializer(serializers.Serializer):
    case_id = serializers.IntegerField(source="case.pk")
    number = serializers.IntegerField(help_text="Visit 1 is the lesion's first.")
    status = serializers.ChoiceField(choices=CaseStatus.choices, source="case.status")
    display_status = serializers.CharField(source="case.display_status")
    created_at = serializers.DateTimeField(source="case.created_at")
    photos = TimelinePhotoSerializer(many=True)
    finding = serializers.SerializerMethodField(help_text="Null until the visit is final.")
    plan = serializers.SerializerMethodField(help_text="Null until the visit is final.")

    @extend_schema_field(TimelineFindingSerializer(allow_null=True))
    def get_finding(self, visit: TimelineVisit) -> dict[str, Any] | None:
        if not visit.signed:
            return None
        final = visit.signed[-1]
        return {
            "kind": "signed_finding", "reviewed": True, "label": HUMAN_FINAL_LABEL, "review_id": final.pk,
            "version": final.version, "fields": final.finding_fields(),
            "lesion_class": DiagnosisClassSerializer(final.lesion_class).data if final.lesion_class else None,
            "signed_by": [review.reviewer.username for review in visit.signed], "signed_at": final.signed_at,
        }

    @extend_schema_field(TimelinePlanSerializer(allow_null=True))
    def get_plan(self, visit: TimelineVisit) -> dict[str, Any] | None:
        if not visit.signed:
            return None
        final = visit.signed[-1]
        follow_up: date | None = final.follow_up_on
        return {"management_plan": final.management_plan, "follow_up_on": follow_up,
                "change_since_previous": final.change_since_previous,
                "change_aspects": list(final.change_aspects or [])}


class LesionTimelineSerializer(serializers.Serializer):
    lesion_id = serializers.IntegerField()
    patient_id = serializers.IntegerField()
    visits = TimelineVisitSerializer(many=True, help_text="Newest first.")


def timeline_payload(lesion: Lesion, visits: tuple[TimelineVisit, ...]) -> dict[str, Any]:
    return {"lesion_id": lesion.pk, "patient_id": lesion.patient_id, "visits": visits}

