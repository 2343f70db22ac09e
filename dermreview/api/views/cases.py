"""`cases/`: list (filtered, cursor-paginated), create, retrieve, edit clinical context."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from dermreview.accounts.roles import Role
from dermreview.api.base import OrganisationScopedViewSet
from dermreview.api.errors import Conflict
from dermreview.api.pagination import NewestFirstCursorPagination
from dermreview.api.serializers.cases import (
    CaseCreateSerializer,
    CaseFilterSerializer,
    CaseSerializer,
    CaseUpdateSerializer,
)
from dermreview.api.serializers.reviews import (
    BlindFindingInputSerializer,
    BlindFindingSerializer,
    ReviewSerializer,
    SignSerializer,
)
from dermreview.api.views.patients import visible_or_404
from dermreview.audit.services.events import audit_log
from dermreview.cases.models import Case, Lesion, LesionImage
from dermreview.cases.services.case import CaseSigned, case_create, case_update
from dermreview.cases.services.training_use import case_training_opt_out_set
from dermreview.drafting.models import Draft
from dermreview.review.services.blind import blind_finding_record
from dermreview.review.services.claim import case_claim, case_release
from dermreview.review.services.signoff import review_sign, state_message

CLINICAL_WRITERS = (Role.CLINICIAN,)
REVIEWERS = (Role.REVIEWER,)


def _image_count() -> Coalesce:
    # A correlated subquery, not Count() + GROUP BY: the database counts images for the rows of this page only,
    # instead of aggregating the clinic's whole case history before the LIMIT.
    per_case = (
        LesionImage.objects.filter(case_id=OuterRef("pk")).order_by().values("case_id")
        .annotate(n=Count("pk")).values("n")
    )
    return Coalesce(Subquery(per_case, output_field=IntegerField()), 0)


@extend_schema_view(
    list=extend_schema(summary="Cases of your clinic, newest first", parameters=[CaseFilterSerializer]),
    create=extend_schema(summary="Open a case (clinicians)", request=CaseCreateSerializer,
                         responses={201: CaseSerializer}),
    retrieve=extend_schema(summary="One case"),
    partial_update=extend_schema(summary="Edit a case's clinical context (clinicians)",
                                 description="409 `case_signed` while the case is final or awaiting a second "
                                             "sign-off: its details are part of the signed finding; a reviewer "
                                             "amends the finding instead (POST reviews/{id}/amend/). "
                                             "`training_opt_out` (the patient opted out of model training) "
                                             "is consent, not signed context: it may change in any status.",
                                 request=CaseUpdateSerializer, responses={200: CaseSerializer}),
)
class CaseViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganisationScopedViewSet,
):
    queryset = Case.objects.all()
    serializer_class = CaseSerializer
    pagination_class = NewestFirstCursorPagination
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    write_roles = {
        "create": CLINICAL_WRITERS, "partial_update": CLINICAL_WRITERS,
        "claim": REVIEWERS, "blind_finding": REVIEWERS, "sign": REVIEWERS,
    }
    extra_error_statuses = {"claim": (409,), "blind_finding": (409,), "sign": (409,), "partial_update": (409,)}

    def narrow(self, queryset: QuerySet[Case]) -> QuerySet[Case]:
        return queryset.select_related("created_by", "claimed_by").annotate(image_count=_image_count())

    def filter_queryset(self, queryset: QuerySet[Case]) -> QuerySet[Case]:
        if self.action != "list":
            return queryset
        filters = CaseFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        wanted: dict[str, Any] = filters.validated_data
        exact = {name: wanted[name] for name in ("status", "body_site", "lesion_label", "patient_ref") if name in wanted}
        queryset = queryset.filter(**exact)
        if "created_after" in wanted:
            queryset = queryset.filter(created_at__gte=wanted["created_after"])
        if "created_before" in wanted:
            queryset = queryset.filter(created_at__lt=wanted["created_before"])
        return queryset

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        case = self.get_object()
        # Opening a case is audited in the browser; reading it over the API is the same access to patient data.
        audit_log(action="case.view", actor=request.user, obj=case,
                  details={"via": "api"})
        return Response(self.get_serializer(case).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = CaseCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        if "lesion" in values:
            # A follow-up visit: the lesion names the patient, site and label. Another clinic's lesion is a 404.
            values.update(patient_ref="", body_site="",
                          lesion=visible_or_404(Lesion, request.user, values["lesion"], name="lesion"))
        case = case_create(user=request.user, **values)
        return Response(self.get_serializer(self.get_queryset().get(pk=case.pk)).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        case = self.get_object()
        data = CaseUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        opt_out = changes.pop("training_opt_out", None)
        try:
            # All or nothing: when the details are refused (signed case), the training choice is not saved either.
            with transaction.atomic():
                if opt_out is not None:
                    case_training_opt_out_set(case=case, user=request.user, opt_out=opt_out)
                if changes or opt_out is None:
                    case_update(case=case, user=request.user, **changes)
        except CaseSigned as refused:
            raise Conflict(refused.message, code=refused.code) from None
        return Response(self.get_serializer(self.get_queryset().get(pk=case.pk)).data)

    # --- review commands: the same services, and so the same rules, as the review pages ----------------------

    def _fresh(self, case: Case) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=case.pk)).data)

    @extend_schema(methods=["POST"], summary="Claim the case while you review it (reviewers)", request=None,
                   responses={200: CaseSerializer},
                   description="A lock with an expiry (DERMREVIEW_CLAIM_MINUTES); claiming again renews your own "
                               "and keeps when it began. A sign-off needs your current claim, and its time on "
                               "task runs from the claim. 409 `conflict` while another reviewer holds it.")
    @extend_schema(methods=["DELETE"], summary="Release your claim (reviewers)", request=None,
                   responses={200: CaseSerializer})
    @action(detail=True, methods=["post", "delete"], url_path="claim")
    def claim(self, request: Request, pk: str) -> Response:
        case = self.get_object()
        if request.method == "DELETE":
            case_release(case=case, user=request.user)
        else:
            case_claim(case=case, user=request.user)
        return self._fresh(case)

    @extend_schema(summary="Record your own finding before the AI draft is shown (blind-first cases, reviewers)",
                   request=BlindFindingInputSerializer, responses={201: BlindFindingSerializer})
    @action(detail=True, methods=["post"], url_path="blind-finding")
    def blind_finding(self, request: Request, pk: str) -> Response:
        case = self.get_object()
        data = BlindFindingInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        finding = blind_finding_record(case=case, reviewer=request.user, fields=data.validated_data["fields"])
        return Response(BlindFindingSerializer(finding).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Sign the case's finding (reviewers)",
        description="Round 1, or round 2 by a different reviewer when the finding is high-risk. Claim the case "
                    "first (POST cases/{id}/claim/): without your current claim the answer is 409 "
                    "`claim_required`. Time on task is measured by the server from your claim to this request; "
                    "`opened_at` is accepted but ignored. Every field must be edited or named in "
                    "`confirmed_fields`; blind-first cases need your blind finding first. 409 when the case "
                    "changed since you read it (`current_lock_version` says what it is now).",
        request=SignSerializer, responses={201: ReviewSerializer},
    )
    @action(detail=True, methods=["post"], url_path="sign")
    def sign(self, request: Request, pk: str) -> Response:
        case = self.get_object()
        data = SignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values.pop("opened_at", None)  # compatibility only: time on task runs from the claim, on the server
        draft_id = values.pop("draft_id")
        draft = None
        if draft_id is not None:
            draft = Draft.objects.visible_to(request.user).select_related("image").filter(pk=draft_id).first()
            if draft is None:
                raise exceptions.ValidationError({"draft_id": ["No such AI draft in your organisation."]})
        review = review_sign(case=case, reviewer=request.user, draft=draft, **values)
        # `detail` says what the sign-off left the case in, in the words the review pages use.
        detail = state_message(action="sign", status=case.status, round=review.round)
        return Response({**ReviewSerializer(review).data, "detail": detail}, status=status.HTTP_201_CREATED)
