"""The diagnosis vocabulary: the classes a signed lesion type must come from, and the one matcher of text to class.

The shared classes (no organisation) are seeded and changed by migrations (cases/migrations/0003_...), so every
clinic starts from the same reviewed list and its `high_risk` flags. A clinic may add its own classes (and with
them its own names and abbreviations) for its organisation; they never change a shared class.

Which classes are high-risk (a sign-off needs a second, different reviewer): every melanoma, in-situ forms and
lentigo maligna included, atypical melanocytic proliferations, every basal and squamous cell carcinoma, Bowen's
disease (SCC in situ), keratoacanthoma (managed as a well-differentiated SCC), the rarer skin cancers, and an
unclassified lesion (a reviewer who cannot name it wants a second look). Actinic keratosis and the benign classes
are not. AI text that maps to no class counts as high-risk too (`review.services.rules.is_high_risk`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from dermreview.common.text import fold_for_matching, has_mixed_script_word

# British and American spellings meet: "naevus"/"nevus", "haemangioma"/"hemangioma", "seborrhoeic"/"seborrheic".
_SPELLINGS = (("ae", "e"), ("oe", "e"))


def term_key(text: str) -> str:
    """The key a class name, synonym or abbreviation, or a text to match, is compared under."""
    key = fold_for_matching(text)
    for british, american in _SPELLINGS:
        key = key.replace(british, american)
    return key


class DiagnosisClassQuerySet(models.QuerySet["DiagnosisClass"]):
    def for_organisation(self, organisation_id: int | None) -> DiagnosisClassQuerySet:
        """The shared classes and, given an organisation, that clinic's own."""
        return self.filter(Q(organisation__isnull=True) | Q(organisation_id=organisation_id))

    def visible_to(self, user: Any) -> DiagnosisClassQuerySet:
        return self.for_organisation(getattr(user, "organisation_id", None))

    def vocabulary(self, organisation_id: int | None = None) -> Vocabulary:
        """The active classes an organisation's findings are matched against (one query)."""
        return Vocabulary.of(self.for_organisation(organisation_id).filter(active=True))

    def term_keys(self) -> set[str]:
        """The matching keys of every name of these classes."""
        return {term_key(term) for row in self for term in row.terms()} - {""}


class DiagnosisClass(models.Model):
    """One class of the diagnosis vocabulary, with the names and abbreviations it is known by."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="diagnosis_classes",
        help_text="Empty for the shared vocabulary (changed by migrations only); set for a clinic's own class.",
    )
    code = models.SlugField(max_length=40, help_text="A stable identifier, used in exports (e.g. 'mel-nod').")
    name = models.CharField(max_length=100, help_text="The name shown to reviewers and stored in exports.")
    synonyms = models.JSONField(default=list, blank=True, help_text="Other names that mean this class.")
    abbreviations = models.JSONField(default=list, blank=True,
                                     help_text="Abbreviations, written with or without dots (BCC, B.C.C.).")
    high_risk = models.BooleanField(default=False, help_text="A sign-off naming it needs a second, different reviewer.")
    active = models.BooleanField(default=True, help_text="Offered and matched. Signed findings keep their class.")
    ordering = models.PositiveIntegerField(default=1000, help_text="Position in lists (smaller first).")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DiagnosisClassQuerySet.as_manager()

    class Meta:
        ordering = ["ordering", "name"]
        verbose_name_plural = "diagnosis classes"
        constraints = [
            models.UniqueConstraint(fields=["code"], condition=Q(organisation__isnull=True),
                                    name="diagnosis_class_shared_code_unique"),
            models.UniqueConstraint(fields=["organisation", "code"], name="diagnosis_class_code_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    def terms(self) -> list[str]:
        """Every name this class is matched by: its name, synonyms and abbreviations."""
        return [self.name, *(self.synonyms or []), *(self.abbreviations or [])]

    def clean(self) -> None:
        """Names must be lists of text, each with something left to match; a clinic's class must not take a name
        or the code of a shared class (that would change what the shared class means for the clinic)."""
        errors: dict[str, str] = {}
        for name in ("synonyms", "abbreviations"):
            values = getattr(self, name)
            if not isinstance(values, list) or not all(isinstance(v, str) and term_key(v) for v in values):
                errors[name] = "A list of names, each with letters or digits."
        if not term_key(self.name or ""):
            errors["name"] = "The name needs letters or digits."
        if self.organisation_id is not None and not errors:
            shared_classes = DiagnosisClass.objects.filter(organisation__isnull=True)
            taken = sorted({term_key(t) for t in self.terms()} & shared_classes.term_keys())
            if taken:
                errors["synonyms"] = f"Already names a shared class: {', '.join(taken)}."
            if shared_classes.filter(code=self.code).exists():
                errors["code"] = "A shared class has this code (exports name classes by code)."
        if errors:
            raise ValidationError(errors)


def _rank(entry: tuple[str, DiagnosisClass]) -> tuple[bool, bool, int]:
    # Between classes claiming one name: the more serious, then shared before a clinic's, then list order.
    diagnosis = entry[1]
    return (not diagnosis.high_risk, diagnosis.organisation_id is not None, diagnosis.ordering)


def _position(term: str, padded: str) -> int:
    """Where `term` (or its plural) first stands as whole words in `padded` (" text "), or -1."""
    found = [i for i in (padded.find(f" {term} "), padded.find(f" {term}s ")) if i >= 0]
    return min(found) if found else -1


@dataclass(frozen=True)
class Vocabulary:
    """The matcher: text to the class it names. Build it once (`DiagnosisClass.objects.vocabulary(...)`) and call
    `match` for every text of a page or a query."""

    classes: tuple[DiagnosisClass, ...]
    terms: dict[str, DiagnosisClass] = field(default_factory=dict)

    @classmethod
    def of(cls, classes: Any) -> Vocabulary:
        rows = list(classes)
        keyed = ((term_key(term), row) for row in rows for term in row.terms())
        entries = sorted(((key, row) for key, row in keyed if key), key=_rank)
        terms: dict[str, DiagnosisClass] = {}
        for key, row in entries:
            terms.setdefault(key, row)  # a name claimed twice goes to the more serious class
        return cls(classes=tuple(rows), terms=terms)

    def match(self, text: str) -> DiagnosisClass | None:
        """The class `text` names, or None.

        Case, accents, spacing, hyphens, dots in abbreviations, British/American spelling and a plural "s" do not
        matter, nor do hidden characters and look-alike letters (see `fold_for_matching`). The whole text naming a
        class wins; otherwise every class named inside it as whole words counts ("nodular BCC, 4 mm", "naevus,
        ?melanoma") and the most serious is taken (a hedged or negated mention, "not melanoma", still counts: a
        false alarm costs a second look, a miss costs a cancer); between equally serious ones, the one named first,
        then the longest name ("blue naevus" over "naevus"). A word mixing Latin with another
        script matches nothing.
        """
        key = term_key(text)
        if not key or has_mixed_script_word(key):
            return None
        whole = self.terms.get(key) or (self.terms.get(key[:-1]) if key.endswith("s") else None)
        if whole is not None:
            return whole
        padded = f" {key} "
        named = [(row.high_risk, position, -len(term), row) for term, row in self.terms.items()
                 if (position := _position(term, padded)) >= 0]
        if not named:
            return None
        # The most serious class named; between equals, the one named first, then the most specific name.
        return min(named, key=lambda found: (not found[0], found[1], found[2]))[3]

    def names(self) -> list[str]:
        return [row.name for row in self.classes]


def diagnosis_class_match(
    text: str, *, organisation_id: int | None = None, vocabulary: Vocabulary | None = None
) -> DiagnosisClass | None:
    """The diagnosis class `text` names (see `Vocabulary.match`), from the shared classes and the organisation's
    own; pure given `vocabulary`."""
    vocabulary = vocabulary if vocabulary is not None else DiagnosisClass.objects.vocabulary(organisation_id)
    return vocabulary.match(text)
