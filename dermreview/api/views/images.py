"""`cases/{case_pk}/images/` (upload, list), `images/{id}/` (one photo, its bytes) and `images/{id}/draft/`."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from dermreview.accounts.roles import Role
from dermreview.api.base import OrganisationScopedViewSet
from dermreview.api.errors import Conflict, error_body
from dermreview.api.serializers.drafts import DraftSerializer
from dermreview.api.serializers.images import ImageSerializer, ImageUploadSerializer, UploadReportSerializer
from dermreview.cases.models import CaptureType, Framing, LesionImage
from dermreview.cases.services.capture_details import (
    CAPTURE_DETAIL_KEYS,
    CaptureDetailsRefused,
    capture_details_patch,
)
from dermreview.cases.services.image_capture import CaptureTypeRefused, image_capture_type_update
from dermreview.cases.services.upload import UploadRefused, images_upload, upload_files_read
from dermreview.cases.views import media
from dermreview.drafting.services.draft_view import draft_view_record
from dermreview.review.selectors.drafts import case_draft_views

IMAGE_BYTES = {(200, "image/jpeg"): OpenApiTypes.BINARY}


def _refusal(refused: UploadRefused) -> exceptions.APIException:
    """The upload service's whole-request refusals, with the same codes the browser's JSON gives."""
    if refused.code == "case_closed":
        return Conflict(refused.message, code=refused.code)
    field = "capture_type" if refused.code == "invalid_capture_type" else "files"
    error = exceptions.ValidationError({field: [refused.message]})
    error.error_code = refused.code  # type: ignore[attr-defined]
    return error


@extend_schema_view(
    list=extend_schema(summary="The photos of a case"),
    retrieve=extend_schema(summary="One photo (metadata and links)"),
)
class ImageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganisationScopedViewSet):
    queryset = LesionImage.objects.all()
    serializer_class = ImageSerializer
    write_roles = {"create": (Role.CLINICIAN,), "partial_update": (Role.CLINICIAN, Role.REVIEWER)}
    throttle_scopes = {"create": "api_upload"}
    extra_error_statuses = {"create": (409,), "partial_update": (409,)}

    def get_parsers(self) -> list[Any]:
        # Photos arrive as multipart only; anything else is a 415, not a confusing "no files".
        if getattr(self.request, "method", None) == "POST":
            return [MultiPartParser()]
        return super().get_parsers()

    def narrow(self, queryset: QuerySet[LesionImage]) -> QuerySet[LesionImage]:
        queryset = queryset.select_related("uploaded_by", "case")
        if "case_pk" in self.kwargs:
            queryset = queryset.filter(case=self.get_parent_case())
        return queryset.order_by("created_at", "pk")

    @extend_schema(
        summary="Upload one or more photos (clinicians)",
        description="Multipart form: repeat the `files` part for several photos. Each file is judged on its own, "
                    "by the same service as the browser: the answer lists every file with `status` and `code`. "
                    "201 when at least one photo was stored, 200 when all were already in the case, 400 (error "
                    "`upload_rejected`, with the same `report`) when none could be stored.",
        request={"multipart/form-data": ImageUploadSerializer},
        responses={201: UploadReportSerializer, 200: UploadReportSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        case = self.get_parent_case()
        try:
            files = upload_files_read(read=lambda: request.FILES.getlist("files"))
            report = images_upload(case=case, user=request.user, files=files,
                                   capture_type=str(request.data.get("capture_type", "")))
        except UploadRefused as refused:
            raise _refusal(refused) from None
        body = report.to_dict()
        if not report.any_kept:
            fields = {f"files.{i}": [o.message] for i, o in enumerate(report.files) if o.status == "rejected"}
            return Response(
                {**error_body("upload_rejected", "No photo was stored: every file was rejected.", fields),
                 "report": body},
                status=status.HTTP_400_BAD_REQUEST,
            )
        body["images"] = ImageSerializer(report.accepted, many=True, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED if report.accepted else status.HTTP_200_OK)

    @extend_schema(
        summary="Correct the photo's capture type and capture details (until the case has a signed finding)",
        description="`capture_type`; `dermoscopy_polarised`, `dermoscopy_contact` (booleans or null, dermoscopic "
                    "photos only), `framing`; `scale` ({method, points: [[x, y], [x, y]], mm} in stored-photo "
                    "pixels); `measured_points` (two points: the longest diameter, needs a scale). 409 "
                    "(`case_signed`) once a reviewer has signed the case.",
        request=inline_serializer("ImageCaptureTypeUpdate", {
            "capture_type": serializers.ChoiceField(CaptureType.choices, required=False),
            "dermoscopy_polarised": serializers.BooleanField(allow_null=True, required=False),
            "dermoscopy_contact": serializers.BooleanField(allow_null=True, required=False),
            "framing": serializers.ChoiceField(["", *Framing.values], required=False),
            "scale": serializers.DictField(required=False),
            "measured_points": serializers.ListField(child=serializers.ListField(), required=False),
        }),
        responses={200: ImageSerializer},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        image = self.get_object()
        try:
            if "capture_type" in request.data or not CAPTURE_DETAIL_KEYS & set(request.data):
                image = image_capture_type_update(image=image, user=request.user,
                                                  capture_type=str(request.data.get("capture_type", "")))
            image = capture_details_patch(image=image, user=request.user, data=request.data)
        except (CaptureTypeRefused, CaptureDetailsRefused) as refused:
            if refused.code == "case_signed":
                raise Conflict(refused.message, code=refused.code) from None
            field = getattr(refused, "field", "") or "capture_type"
            error = exceptions.ValidationError({field: [refused.message]})
            error.error_code = refused.code  # type: ignore[attr-defined]
            raise error from None
        return Response(ImageSerializer(image, context=self.get_serializer_context()).data)

    @extend_schema(summary="The photo's AI draft: status, and its fields where your role and blind-first allow",
                   responses={200: DraftSerializer})
    @action(detail=True, methods=["get"], url_path="draft")
    def draft(self, request: Request, pk: str) -> Response:
        image = self.get_object()
        case = image.case
        view = case_draft_views(user=request.user, case=case, images=[image])[0]
        draft_view_record(views=[view], user=request.user, case=case)
        return Response(DraftSerializer(view).data)

    @extend_schema(summary="The photo's bytes (the protected media view, for token clients)",
                   responses=IMAGE_BYTES)
    @action(detail=True, methods=["get"], url_path="file")
    def file(self, request: Request, pk: str) -> HttpResponse:
        # The browser's protected media view does the access check, headers and audit; DRF has authenticated the
        # caller (token or session) and set `request.user` on the Django request it hands over.
        return media.image_file(request._request, image_pk=int(pk))

    @extend_schema(summary="The photo's display derivative (long edge <= 2048 px; ETag, If-None-Match gives 304)",
                   responses=IMAGE_BYTES)
    @action(detail=True, methods=["get"], url_path="display")
    def display(self, request: Request, pk: str) -> HttpResponse:
        return media.image_display(request._request, image_pk=int(pk))

    @extend_schema(summary="The photo's thumbnail bytes", responses=IMAGE_BYTES)
    @action(detail=True, methods=["get"], url_path="thumbnail")
    def thumbnail(self, request: Request, pk: str) -> HttpResponse:
        return media.image_thumbnail(request._request, image_pk=int(pk))
