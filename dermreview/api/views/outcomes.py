"""`outcomes/`: what each lesion turned out to be (list, record, retrieve) and `outcomes/{id}/void/` to correct one."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from dermreview.accounts.roles import Role
from dermreview.api.base import OrganisationScopedViewSet
from dermreview.api.errors import Conflict
from dermreview.api.pagination import NewestFirstCursorPagination
from dermreview.api.serializers.outcomes import (
    OutcomeCreateSerializer,
    OutcomeFilterSerializer,
    OutcomeSerializer,
    OutcomeVoidSerializer,
)
from dermreview.api.views.patients import visible_or_404
from dermreview.cases.models import DiagnosisClass, Lesion, LesionOutcome
from dermreview.cases.services.outcomes import OutcomeRefused, outcome_record, outcome_void

RECORDERS = (Role.CLINICIAN, Role.REVIEWER)


class RecordedFirstCursorPagination(NewestFirstCursorPagination):
    ordering = ("-recorded_at", "-id")


def _refusal(refused: OutcomeRefused) -> exceptions.APIException:
    """The outcome service's refusals: bad input on its field (400), a current outcome or a second void (409)."""
    if refused.code == "invalid":
        return exceptions.ValidationError({refused.field or "non_field_errors": [refused.message]})
    return Conflict(refused.message, code=refused.code)


@extend_schema_view(
    list=extend_schema(summary="Outcomes recorded in your clinic, newest first (voided ones included)",
                       parameters=[OutcomeFilterSerializer]),
    retrieve=extend_schema(summary="One outcome"),
)
class OutcomeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganisationScopedViewSet):
    queryset = LesionOutcome.objects.all()
    serializer_class = OutcomeSerializer
    pagination_class = RecordedFirstCursorPagination
    http_method_names = ["get", "post", "head", "options"]
    write_roles = {"create": RECORDERS, "void": RECORDERS}
    extra_error_statuses = {"create": (409,), "void": (409,)}

    def narrow(self, queryset: QuerySet[LesionOutcome]) -> QuerySet[LesionOutcome]:
        return queryset.select_related("diagnosis_class", "recorded_by", "voided_by")

    def filter_queryset(self, queryset: QuerySet[LesionOutcome]) -> QuerySet[LesionOutcome]:
        if self.action != "list":
            return queryset
        filters = OutcomeFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        if "lesion" in filters.validated_data:
            lesion = visible_or_404(Lesion, self.request.user, filters.validated_data["lesion"], name="lesion")
            queryset = queryset.filter(lesion=lesion)
        return queryset

    def _fresh(self, outcome: LesionOutcome, code: int = status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=outcome.pk)).data, status=code)

    @extend_schema(
        summary="Record a lesion's outcome (clinicians and reviewers)",
        description="One current outcome per lesion: while it has one the answer is 409 `outcome_exists` (void "
                    "it first, with a reason). `diagnosis_class` is a code of your clinic's active lesion-class "
                    "vocabulary; the date may not be in the future. A lesion of another clinic is a 404.",
        request=OutcomeCreateSerializer, responses={201: OutcomeSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = OutcomeCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        lesion = visible_or_404(Lesion, request.user, values.pop("lesion"), name="lesion")
        code = values.pop("diagnosis_class")
        diagnosis = DiagnosisClass.objects.visible_to(request.user).filter(code=code, active=True).first()
        if diagnosis is None:
            raise exceptions.ValidationError(
                {"diagnosis_class": [f"No active lesion class with the code '{code}' in your clinic's vocabulary."]})
        try:
            outcome = outcome_record(lesion=lesion, user=request.user, diagnosis_class_id=diagnosis.pk, **values)
        except OutcomeRefused as refused:
            raise _refusal(refused) from None
        return self._fresh(outcome, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Void an outcome, with the reason (clinicians and reviewers)",
        description="The row is kept with who voided it, when and why; the lesion may then get its correct "
                    "outcome. 409 `already_void` for an outcome voided before.",
        request=OutcomeVoidSerializer, responses={200: OutcomeSerializer},
    )
    @action(detail=True, methods=["post"], url_path="void")
    def void(self, request: Request, pk: str) -> Response:
        outcome = self.get_object()
        data = OutcomeVoidSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            outcome = outcome_void(outcome=outcome, user=request.user, reason=data.validated_data["reason"])
        except OutcomeRefused as refused:
            raise _refusal(refused) from None
        return self._fresh(outcome)
