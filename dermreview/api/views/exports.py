"""`findings/export/`: the organisation's final findings as JSON, CSV or a FHIR R4 bundle, streamed."""

from __future__ import annotations

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request

from dermreview.api.base import ApiView
from dermreview.api.serializers.exports import ExportJsonSerializer, ExportParamsSerializer
from dermreview.api.services.export import findings_export


class FindingExportView(ApiView):
    """Export the organisation's final findings."""

    throttle_scopes = {"get": "api_export"}

    @extend_schema(
        operation_id="findings_export", tags=["findings"], parameters=[ExportParamsSerializer],
        summary="Export final findings (JSON, CSV or FHIR R4), streamed",
        description="Every exported finding says what the AI drafted (`ai_draft`: fields, model id, revision, "
                    "prompt version), who confirmed what (`reviewers`, `outcome`, `edited_fields`) and when. Each "
                    "export is recorded in the audit trail. Use `since` (and `until`, exclusive) for incremental or date-range exports (rows come oldest "
                    "signature first). `include_drafts` (auditors) adds the ready AI drafts you may see, recorded "
                    "as one `draft.view` audit event naming the export and every draft id; drafts of blind-first "
                    "cases are left out for an exporter who also reviews until they have recorded their own "
                    "finding for the case.",
        responses={
            (200, "application/json"): ExportJsonSerializer,
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR),
            (200, "application/fhir+json"): OpenApiResponse(OpenApiTypes.OBJECT),
        },
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        params = ExportParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        wanted = params.validated_data
        stream = findings_export(
            user=request.user, export_format=wanted["format"], since=wanted.get("since"), until=wanted.get("until"),
            include_drafts=wanted["include_drafts"], base_url=request.build_absolute_uri("/"),
            include_reports=wanted["include_reports"],
        )
        response = StreamingHttpResponse(stream.chunks, content_type=stream.content_type)
        response["Content-Disposition"] = f'attachment; filename="{stream.filename}"'
        response["Cache-Control"] = "private, no-store"
        response["X-Export-Id"] = stream.export_id
        return response
