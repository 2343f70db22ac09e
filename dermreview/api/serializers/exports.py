"""Export parameters and the JSON export's shape (for the OpenAPI document)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from dermreview.api.serializers.common import KIND_EXPORT_RECORD, FindingFieldsSerializer
from dermreview.api.serializers.reviews import DraftSnapshotSerializer


class ExportParamsSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=["json", "csv", "fhir"], default="json",
                                     help_text="json, csv, or fhir (a FHIR R4 Bundle of type collection).")
    since = serializers.DateTimeField(required=False, help_text="Only findings signed at or after this time "
                                                                "(ISO 8601); drafts created at or after it.")
    until = serializers.DateTimeField(required=False, help_text="Only findings signed before this time (ISO "
                                                                "8601, exclusive); drafts created before it.")
    status = serializers.ChoiceField(choices=["final"], default="final",
                                     help_text="Only final (fully signed) findings are exported as findings.")
    include_drafts = serializers.BooleanField(
        default=False, help_text="Auditors and admins: add every ready AI draft, marked `kind: ai_draft`, "
                                 "`reviewed: false` (FHIR: `preliminary`, tagged unreviewed-ai-draft).")
    include_reports = serializers.BooleanField(
        default=False, help_text="FHIR only: each final finding's DiagnosticReport carries its PDF report as "
                                 "`presentedForm` (base64). Slow (about a second per finding): left out by default; "
                                 "use it for small date windows, or `GET /api/v1/cases/{id}/report.pdf` per case.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        since, until = attrs.get("since"), attrs.get("until")
        if since is not None and until is not None and until <= since:
            raise serializers.ValidationError({"until": "`until` must be later than `since`."})
        if attrs.get("include_reports") and attrs.get("format") != "fhir":
            raise serializers.ValidationError(
                {"include_reports": "PDF reports go into FHIR bundles only: use format=fhir."})
        return attrs


class ExportReviewerSerializer(serializers.Serializer):
    review_id = serializers.IntegerField()
    round = serializers.IntegerField()
    id = serializers.IntegerField()
    username = serializers.CharField()
    outcome = serializers.CharField()
    edited_fields = serializers.ListField(child=serializers.CharField())
    signed_at = serializers.DateTimeField()


class ExportImageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    content_type = serializers.CharField()
    capture_type = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    created_at = serializers.DateTimeField(allow_null=True)
    url = serializers.URLField(help_text="The photo through the protected media view (token or session).")
    browser_url = serializers.URLField(help_text="The protected media route for a browser session.")


class ExportCaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    patient_ref = serializers.CharField(help_text="Pseudonymous reference; no patient names are exported. For a "
                                                  "finding: as it was signed.")
    body_site = serializers.CharField(help_text="For a finding: as it was signed (the case cannot change after).")
    lesion_label = serializers.CharField(allow_blank=True, help_text="For a finding: as it was signed.")
    status = serializers.CharField(help_text="The case's status now.")


class ExportRecordSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=KIND_EXPORT_RECORD)
    reviewed = serializers.BooleanField()
    label = serializers.CharField()
    finding_id = serializers.CharField()
    review_id = serializers.IntegerField(allow_null=True)
    case = ExportCaseSerializer()
    version = serializers.IntegerField(allow_null=True)
    signed_at = serializers.DateTimeField(allow_null=True)
    fields = FindingFieldsSerializer(allow_null=True, help_text="Reviewer-confirmed text; null for AI drafts.")
    outcome = serializers.CharField(allow_blank=True)
    edited_fields = serializers.ListField(child=serializers.CharField())
    all_unchanged = serializers.BooleanField()
    disagreement_fields = serializers.ListField(child=serializers.CharField())
    rejection_reason = serializers.CharField(allow_blank=True)
    amendment_reason = serializers.CharField(allow_blank=True)
    supersedes_review_id = serializers.IntegerField(allow_null=True)
    finding_status = serializers.ChoiceField(
        choices=["final", "amendment_in_progress", ""],
        help_text="`final`, or `amendment_in_progress`: this signed version stays the current finding while its "
                  "amendment awaits a second reviewer. Empty for AI drafts.")
    amendment_in_progress = serializers.BooleanField()
    resolution = serializers.ChoiceField(
        choices=["concordant", "agreed", "adjudicated_by_third_reviewer", ""],
        help_text="How a dual review was resolved: `concordant`, `agreed` (the two reviewers settled on one "
                  "finding) or `adjudicated_by_third_reviewer`. Empty for a single review and for AI drafts.")
    reviewers = ExportReviewerSerializer(many=True)
    ai_draft = DraftSnapshotSerializer(allow_null=True)
    images = ExportImageSerializer(many=True)


class ExportMetaSerializer(serializers.Serializer):
    export_id = serializers.CharField()
    generated_at = serializers.DateTimeField()
    organisation = serializers.CharField(allow_null=True)
    exported_by = serializers.CharField()
    since = serializers.DateTimeField(allow_null=True)
    until = serializers.DateTimeField(allow_null=True)
    status = serializers.CharField()
    include_drafts = serializers.BooleanField()
    note = serializers.CharField()


class ExportJsonSerializer(serializers.Serializer):
    export = ExportMetaSerializer()
    findings = ExportRecordSerializer(many=True)
