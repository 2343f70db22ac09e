"""`patients/`: a clinic's pseudonymous patients (list, create, retrieve, edit the optional details)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, IntegerField, Model, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status
from rest_framework.request import Request
from rest_framework.response import Response

from dermreview.accounts.roles import Role
from dermreview.api.base import OrganisationScopedViewSet
from dermreview.api.pagination import NewestFirstCursorPagination
from dermreview.api.serializers.patients import (
    PatientCreateSerializer,
    PatientFilterSerializer,
    PatientSerializer,
    PatientUpdateSerializer,
)
from dermreview.audit.services.events import audit_log
from dermreview.cases.models import Lesion, Patient
from dermreview.cases.services.lesions import patient_create
from dermreview.cases.services.patients import patient_update

CLINICIANS = (Role.CLINICIAN,)


def related_count(model: type[Model], parent_field: str) -> Coalesce:
    """How many `model` rows point at each row of the page, as a correlated subquery: counted for the rows of the
    page only, not aggregated over the clinic's whole history before the LIMIT."""
    rows = (model.objects.filter(**{parent_field: OuterRef("pk")}).order_by().values(parent_field)  # type: ignore[attr-defined]
            .annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def visible_or_404(model: type[Model], user: Any, pk: int, *, name: str) -> Any:
    """The row `pk` of `model` as `user` may see it. An id of another clinic, in a path, a filter or a body, is
    answered exactly as an id that does not exist: 404."""
    row = model.objects.visible_to(user).filter(pk=pk).first()  # type: ignore[attr-defined]
    if row is None:
        raise exceptions.NotFound(f"No such {name} in your clinic.")
    return row


@extend_schema_view(
    list=extend_schema(summary="Patients of your clinic, newest first", parameters=[PatientFilterSerializer]),
    retrieve=extend_schema(summary="One patient"),
)
class PatientViewSet(mixins.ListModelMixin, OrganisationScopedViewSet):
    queryset = Patient.objects.all()
    serializer_class = PatientSerializer
    pagination_class = NewestFirstCursorPagination
    http_method_names = ["get", "post", "patch", "head", "options"]
    write_roles = {"create": CLINICIANS, "partial_update": CLINICIANS}

    def narrow(self, queryset: QuerySet[Patient]) -> QuerySet[Patient]:
        return queryset.select_related("created_by").annotate(lesion_count=related_count(Lesion, "patient"))

    def filter_queryset(self, queryset: QuerySet[Patient]) -> QuerySet[Patient]:
        if self.action != "list":
            return queryset
        filters = PatientFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        if "reference" in filters.validated_data:
            queryset = queryset.filter(reference=filters.validated_data["reference"])
        return queryset

    def _fresh(self, patient: Patient, code: int = status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=patient.pk)).data, status=code)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        patient = self.get_object()
        audit_log(action="patient.view", actor=request.user, obj=patient, details={"via": "api"})
        return Response(self.get_serializer(patient).data)

    @extend_schema(
        summary="Register a patient (clinicians)",
        description="The reference is your records system's pseudonym, never a name (the same rule as a case's "
                    "`patient_ref`). One patient per reference in a clinic: a reference already in use is a 400 "
                    "on `reference` naming the existing patient. Cases opened with the reference join this patient.",
        request=PatientCreateSerializer, responses={201: PatientSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = PatientCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        patient = patient_create(user=request.user, **data.validated_data)
        return self._fresh(patient, status.HTTP_201_CREATED)

    @extend_schema(summary="Edit year of birth, sex or Fitzpatrick skin type (clinicians)",
                   description="`null` or \"\" clears a value. The reference cannot change (400).",
                   request=PatientUpdateSerializer, responses={200: PatientSerializer})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        patient = self.get_object()
        data = PatientUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        patient_update(patient=patient, user=request.user, **data.validated_data)
        return self._fresh(patient)
