from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone


class BodySite(models.TextChoices):
    SCALP = "scalp", "Scalp"
    FACE = "face", "Face"
    EAR = "ear", "Ear"
    NECK = "neck", "Neck"
    CHEST = "chest", "Chest"
    ABDOMEN = "abdomen", "Abdomen"
    BACK = "back", "Back"
    UPPER_ARM = "upper_arm", "Upper arm"
    FOREARM = "forearm", "Forearm"
    HAND = "hand", "Hand (dorsum)"
    PALM = "palm", "Palm"
    THIGH = "thigh", "Thigh"
    LOWER_LEG = "lower_leg", "Lower leg"
    FOOT = "foot", "Foot (dorsum)"
    SOLE = "sole", "Sole"
    GENITAL = "genital", "Genital / perianal"
    NAIL = "nail", "Nail"
    MUCOSA = "mucosa", "Mucosa"
    OTHER = "other", "Other"


class CaseStatus(models.TextChoices):
    """The case's review state machine.

        new ──photo uploaded──▶ awaiting_review ──sign-off──▶ final
                                   │   ▲   │                   ▲ │
                 all photos ungradable  │   └─high-risk sign-off─┐ │ │ amendment (new version)
                                   ▼   │new photo               ▼ │ ▼
                             needs_new_photo            needs_second_review
                                                                │ round 2 disagrees on the class (or a
                                                                ▼ configured field)
                                                        needs_adjudication ──third reviewer / both agree──▶ final

    * `awaiting_review`: photos are in; AI drafts may still be running. A reviewer may claim the case
      (a claim is a lock with an expiry, not a status; the UI shows a claimed case as "in review").
    * `needs_second_review`: the first sign-off named a high-risk class; a second, different reviewer signs.
    * `needs_adjudication`: the two dual-review sign-offs disagree on the lesion class (or another field in
      `DERMREVIEW_ADJUDICATION_FIELDS`); a third, different reviewer signs round 3, or the two agree on one version.
    * `final`: every required sign-off exists. Only a sign-off gets here; nothing else writes `final`.
    * An amendment of a final case voids its sign-off and re-enters `final` or `needs_second_review`.
    """

    NEW = "new", "New (no photos)"
    AWAITING_REVIEW = "awaiting_review", "Awaiting review"
    NEEDS_NEW_PHOTO = "needs_new_photo", "New photo requested"
    NEEDS_SECOND_REVIEW = "needs_second_review", "Needs second review"
    NEEDS_ADJUDICATION = "needs_adjudication", "Needs adjudication"
    FINAL = "final", "Final"


CASE_TRANSITIONS: dict[str, frozenset[str]] = {
    CaseStatus.NEW: frozenset({CaseStatus.AWAITING_REVIEW}),
    CaseStatus.AWAITING_REVIEW: frozenset(
        {CaseStatus.NEEDS_NEW_PHOTO, CaseStatus.NEEDS_SECOND_REVIEW, CaseStatus.FINAL}
    ),
    CaseStatus.NEEDS_NEW_PHOTO: frozenset({CaseStatus.AWAITING_REVIEW}),
    CaseStatus.NEEDS_SECOND_REVIEW: frozenset(
        {CaseStatus.FINAL, CaseStatus.AWAITING_REVIEW, CaseStatus.NEEDS_ADJUDICATION}
    ),
    CaseStatus.NEEDS_ADJUDICATION: frozenset({CaseStatus.FINAL}),
    CaseStatus.FINAL: frozenset({CaseStatus.FINAL, CaseStatus.NEEDS_SECOND_REVIEW}),
}


class InvalidTransition(Exception):
    pass


class CaseQuerySet(models.QuerySet["Case"]):
    def visible_to(self, user: Any) -> CaseQuerySet:
        """The cases a user may see: their own organisation's, and nothing when they have none."""
        if not user.is_authenticated or user.organisation_id is None:
            return self.none()
        return self.filter(organisation_id=user.organisation_id)

    def reviewable(self) -> CaseQuerySet:
        return self.filter(status__in=[CaseStatus.AWAITING_REVIEW, CaseStatus.NEEDS_SECOND_REVIEW])


pseudonym_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$",
    "Use the clinic's pseudonymous reference (letters, digits, '.', '_', '-'); never a patient's name.",
)


class Case(models.Model):
    """One visit of one lesion (`lesion`); the lesion's visits form its timeline.

    `patient_ref`, `body_site` and `lesion_label` stay on the case as what the visit was opened with (and signed
    against); `cases/services/lesions.py` resolves them to the `Patient` and `Lesion` rows.
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="cases")
    patient = models.ForeignKey(
        "cases.Patient", on_delete=models.PROTECT, null=True, blank=True, related_name="cases",
    )
    lesion = models.ForeignKey(
        "cases.Lesion", on_delete=models.PROTECT, null=True, blank=True, related_name="cases",
    )
    patient_ref = models.CharField(
        "patient reference", max_length=64, validators=[pseudonym_validator],
        help_text="Pseudonymous reference from your records system. Never a name.",
    )
    body_site = models.CharField(max_length=32, choices=BodySite.choices)
    lesion_label = models.CharField(
        max_length=64, blank=True,
        help_text="Your label for this lesion (e.g. 'L1 left shoulder') so visits can be compared.",
    )
    clinical_notes = models.TextField(blank=True, max_length=5000)
    status = models.CharField(max_length=32, choices=CaseStatus.choices, default=CaseStatus.NEW, db_index=True)
    blind_first = models.BooleanField(
        default=False, help_text="Chosen at random on creation: the reviewer records a finding before seeing the AI draft."
    )
    high_risk = models.BooleanField(default=False, db_index=True, help_text="A draft or finding named a high-risk class.")
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="claimed_cases"
    )
    claim_expires_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(
        null=True, blank=True,
        help_text="When the current claim was taken: time on task runs from it. Renewing one's own unexpired "
                  "claim keeps it; meaningful only while the claim holds.",
    )
    lock_version = models.PositiveIntegerField(default=0, help_text="Optimistic lock: bumped by every review write.")
    # Consent, not clinical context: never part of what a finding is signed against (`Review.signed_context`), so
    # it stays changeable after sign-off. Written only by `cases.services.training_use.case_training_opt_out_set`.
    training_opt_out = models.BooleanField(
        "excluded from model training", default=False,
        help_text="The patient opted out of the use of this case for training or evaluating models. Checked by "
                  "`manage.py training_export`; it may be changed at any time, also after sign-off.",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="created_cases")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["organisation", "status", "created_at"]),
            models.Index(fields=["organisation", "lesion_label"]),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=CaseStatus.values), name="case_status_valid"),
        ]

    def __str__(self) -> str:
        return f"Case {self.pk} ({self.patient_ref}, {self.get_body_site_display()})"

    def can_transition(self, to: str) -> bool:
        return to in CASE_TRANSITIONS.get(self.status, frozenset())

    def assert_transition(self, to: str) -> None:
        if not self.can_transition(to):
            raise InvalidTransition(f"A case cannot go from {self.status} to {to}.")

    def active_claim_holder(self, now: Any = None) -> Any:
        """The reviewer holding an unexpired claim, or None."""
        now = now or timezone.now()
        if self.claimed_by_id and self.claim_expires_at and self.claim_expires_at > now:
            return self.claimed_by
        return None

    @property
    def display_status(self) -> str:
        """What people see: a claimed case awaiting a sign-off reads 'In review'."""
        if self.status in (CaseStatus.AWAITING_REVIEW, CaseStatus.NEEDS_SECOND_REVIEW) and self.active_claim_holder():
            return "In review"
        return self.get_status_display()

    @property
    def accepts_uploads(self) -> bool:
        return self.status in (CaseStatus.NEW, CaseStatus.AWAITING_REVIEW, CaseStatus.NEEDS_NEW_PHOTO)
