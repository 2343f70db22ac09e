"""`cases/{id}/dicom/`: the case's sends to the hospital archive (GET) and a new send of its final finding (POST).

POST answers 202 with the send (queued; the `pacs` worker delivers it), 403 to roles other than reviewer and
clinic administrator, 409 when the case is not final or no archive is configured, 404 outside the clinic.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from dermreview.accounts.roles import Role
from dermreview.api.base import ApiView
from dermreview.cases.access import get_case_for_user
from dermreview.pacs.models import DicomSend
from dermreview.pacs.services.send import dicom_send_request


class DicomSendSerializer(serializers.ModelSerializer[DicomSend]):
    requested_by = serializers.CharField(source="requested_by.username", default=None, read_only=True)

    class Meta:
        model = DicomSend
        fields = ["id", "case", "review_version", "status", "attempts", "last_error", "study_instance_uid",
                  "series_instance_uids", "sop_instance_uids", "endpoint", "auto", "requested_by", "requested_at",
                  "started_at", "sent_at"]
        read_only_fields = fields


class CaseDicomView(ApiView):
    write_roles = {"post": (Role.REVIEWER, Role.CLINIC_ADMIN)}
    extra_error_statuses = {"post": (409,)}

    @extend_schema(operation_id="case_dicom_sends", tags=["cases"], responses={200: DicomSendSerializer(many=True)},
                   summary="The case's sends to the hospital archive (DICOM), newest version first")
    def get(self, request: Request, pk: int) -> Response:
        case = get_case_for_user(request.user, pk)
        sends = DicomSend.objects.visible_to(request.user).filter(case=case).select_related("requested_by")
        return Response(DicomSendSerializer(sends, many=True).data)

    @extend_schema(operation_id="case_dicom_send", tags=["cases"], request=None,
                   responses={202: DicomSendSerializer},
                   summary="Send the case's final finding and photos to the hospital archive (DICOMweb STOW-RS)")
    def post(self, request: Request, pk: int) -> Response:
        case = get_case_for_user(request.user, pk)
        send = dicom_send_request(case=case, user=request.user)
        return Response(DicomSendSerializer(send).data, status=status.HTTP_202_ACCEPTED)
