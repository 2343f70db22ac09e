"""`lesions/`: each patient's lesions (list, create, retrieve, correct, place on the body map) and
`lesions/{id}/timeline/`, every visit of one lesion."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from dermreview.accounts.roles import Role
from dermreview.api.base import OrganisationScopedViewSet
from dermreview.api.pagination import NewestFirstCursorPagination
from dermreview.api.serializers.lesions import (
    MAP_FIELDS,
    LesionCreateSerializer,
    LesionFilterSerializer,
    LesionSerializer,
    LesionUpdateSerializer,
)
from dermreview.api.serializers.timeline import LesionTimelineSerializer, lesion_visits, timeline_payload
from dermreview.api.views.patients import related_count, visible_or_404
from dermreview.audit.services.events import audit_log
from dermreview.cases.models import Case, Lesion, Patient
from dermreview.cases.services.lesions import lesion_update
from dermreview.cases.services.patients import lesion_create, lesion_place

CLINICIANS = (Role.CLINICIAN,)


@extend_schema_view(
    list=extend_schema(summary="Lesions of your clinic's patients, newest first", parameters=[LesionFilterSerializer]),
    retrieve=extend_schema(summary="One lesion"),
)
class LesionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganisationScopedViewSet):
    queryset = Lesion.objects.all()
    serializer_class = LesionSerializer
    pagination_class = NewestFirstCursorPagination
    http_method_names = ["get", "post", "patch", "head", "options"]
    write_roles = {"create": CLINICIANS, "partial_update": CLINICIANS}

    def narrow(self, queryset: QuerySet[Lesion]) -> QuerySet[Lesion]:
        return queryset.select_related("patient", "created_by").annotate(visit_count=related_count(Case, "lesion"))

    def filter_queryset(self, queryset: QuerySet[Lesion]) -> QuerySet[Lesion]:
        if self.action != "list":
            return queryset
        filters = LesionFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        if "patient" in filters.validated_data:
            patient = visible_or_404(Patient, self.request.user, filters.validated_data["patient"], name="patient")
            queryset = queryset.filter(patient=patient)
        return queryset

    def _fresh(self, lesion: Lesion, code: int = status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=lesion.pk)).data, status=code)

    @extend_schema(
        summary="Add a lesion to a patient (clinicians)",
        description="Body site from the controlled list, with its side; optionally a place on the body map "
                    "(`map_view`, `map_x`, `map_y` together: fractions 0-1 of the figure from its top left). A "
                    "patient of another clinic is a 404.",
        request=LesionCreateSerializer, responses={201: LesionSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = LesionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        patient = visible_or_404(Patient, request.user, values.pop("patient"), name="patient")
        lesion = lesion_create(
            patient=patient, user=request.user, body_site=values["body_site"], laterality=values["laterality"],
            label=values["label"], view=values.get("map_view", ""), x=values.get("map_x"), y=values.get("map_y"),
        )
        return self._fresh(lesion, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Correct site, side or label, or place the lesion on the body map (clinicians)",
        description="The visits keep the site and label they were opened and signed with. Map fields go together.",
        request=LesionUpdateSerializer, responses={200: LesionSerializer},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        lesion = self.get_object()
        data = LesionUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        position = [values.pop(name) for name in MAP_FIELDS if name in values]
        with transaction.atomic():  # all or nothing: a refused position keeps the new label out too
            if values:
                lesion = lesion_update(lesion=lesion, user=request.user, **values)
            if position:
                lesion_place(lesion=lesion, user=request.user, view=position[0], x=position[1], y=position[2])
        return self._fresh(lesion)

    @extend_schema(
        summary="Every visit of the lesion, newest first",
        description="Per visit: the case, its status, photos (with their API media links), each photo's AI draft "
                    "*status* only, and once final the signed finding (`kind` `signed_finding`, reviewer-"
                    "confirmed) with the management plan and the change since the previous visit. AI draft text "
                    "is never part of the timeline. Reading it is audited (`lesion.view`).",
        responses={200: LesionTimelineSerializer},
    )
    @action(detail=True, methods=["get"], url_path="timeline")
    def timeline(self, request: Request, pk: str) -> Response:
        lesion = self.get_object()
        audit_log(action="lesion.view", actor=request.user, obj=lesion, organisation=lesion.patient.organisation,
                  details={"via": "api"})
        payload = timeline_payload(lesion, lesion_visits(lesion))
        return Response(LesionTimelineSerializer(payload, context=self.get_serializer_context()).data)
