from __future__ import annotations

from django.conf import settings
from django.db import models

from dermreview.drafting.models.fields import FindingFieldsMixin


class BlindFinding(FindingFieldsMixin):
    """A reviewer's own finding, recorded before the AI draft was revealed (blind-first cases).

    Kept beside the draft and the signed review so the AI's influence on reviewers can be measured.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="blind_findings")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    lesion_class = models.ForeignKey(
        "cases.DiagnosisClass", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="The diagnosis class `lesion_type` names (empty only for findings signed before the vocabulary).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "reviewer"], name="blind_finding_once_per_reviewer")]

    def __str__(self) -> str:
        return f"Blind finding by {self.reviewer} on case {self.case_id}"
