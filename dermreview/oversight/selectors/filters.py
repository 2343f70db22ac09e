"""The filter set shared by the model card, the charts and the blind-first influence figures.

Every figure starts from `scores_for(...)` or `reviews_for(...)`: the organisation's signed, non-void reviews
narrowed by the same filters, so a table and the chart beside it always describe the same reviews.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import CharField, F, QuerySet, Value
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone

from dermreview.drafting.models import FINDING_FIELDS
from dermreview.review.models import AgreementScore, Comparison, Review, ReviewOutcome

# Sign-offs where the reviewer was shown an AI draft (and could therefore accept it unchanged).
DRAFT_SHOWN_OUTCOMES = (ReviewOutcome.ACCEPTED, ReviewOutcome.EDITED, ReviewOutcome.REJECTED_DRAFT)


@dataclass(frozen=True)
class Scorer:
    """A BERTScore configuration. Scores of different scorers are different scales and are never pooled."""

    model: str
    num_layers: int

    @property
    def key(self) -> str:
        return f"{self.model}|{self.num_layers}"

    @property
    def label(self) -> str:
        return f"{self.model} ({self.num_layers} layers)"

    @classmethod
    def parse(cls, key: str) -> Scorer:
        model, sep, layers = key.rpartition("|")
        if not sep or not model or not layers.isdigit():
            raise ValueError(f"not a scorer: {key!r}")
        return cls(model, int(layers))


@dataclass(frozen=True)
class OversightFilters:
    """Which reviews a figure covers. Empty values mean "any"."""

    date_from: date | None = None
    date_to: date | None = None
    model_id: str = ""
    model_revision: str = ""
    prompt_version: str = ""
    reviewer_id: int | None = None
    body_site: str = ""
    capture_type: str = ""
    scorer: Scorer | None = None

    def cache_token(self) -> dict[str, Any]:
        data = asdict(self)
        data["scorer"] = self.scorer.key if self.scorer else ""
        return {k: str(v) if v is not None else "" for k, v in data.items()}


def draft_attr(name: str, prefix: str = "") -> Coalesce:
    """A draft attribute as the reviewer saw it: from the review's snapshot, else from the draft row.

    The review service snapshots the draft as ``{"model_id", "model_revision", "prompt_version", "fields": {...}}``.
    The snapshot wins because it is what was signed against; the draft row is the fallback for snapshots written
    without that key. Never NULL (empty string instead), so comparisons behave.
    """
    snapshot = f"{prefix}draft_snapshot"
    key = KeyTextTransform(name, KeyTransform("fields", snapshot)) if name in FINDING_FIELDS else (
        KeyTextTransform(name, snapshot)
    )
    return Coalesce(
        NullIf(key, Value("")),
        F(f"{prefix}draft__{name}"),
        Value(""),
        output_field=CharField(),
    )


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _narrow(qs: QuerySet, filters: OversightFilters, prefix: str) -> QuerySet:
    """Apply the filters to a queryset whose reviews are reached through `prefix` ('' or 'review__')."""
    qs = qs.annotate(
        mv_model_id=draft_attr("model_id", prefix),
        mv_model_revision=draft_attr("model_revision", prefix),
        mv_prompt_version=draft_attr("prompt_version", prefix),
    )
    lookups: dict[str, Any] = {}
    if filters.date_from:
        lookups[f"{prefix}signed_at__gte"] = _start_of(filters.date_from)
    if filters.date_to:
        lookups[f"{prefix}signed_at__lt"] = _start_of(filters.date_to + timedelta(days=1))
    if filters.model_id:
        lookups["mv_model_id"] = filters.model_id
    if filters.model_revision:
        lookups["mv_model_revision"] = filters.model_revision
    if filters.prompt_version:
        lookups["mv_prompt_version"] = filters.prompt_version
    if filters.reviewer_id:
        lookups[f"{prefix}reviewer_id"] = filters.reviewer_id
    if filters.body_site:
        lookups[f"{prefix}case__body_site"] = filters.body_site
    if filters.capture_type:
        # The photo the draft was made from; reviews without a draft have no capture type to match.
        lookups[f"{prefix}draft__image__capture_type"] = filters.capture_type
    return qs.filter(**lookups)


def reviews_for(*, organisation_id: int, filters: OversightFilters) -> QuerySet[Review]:
    """The organisation's standing (non-void) sign-offs matching the filters."""
    qs = Review.objects.filter(case__organisation_id=organisation_id, voided_at__isnull=True).order_by()
    return _narrow(qs, filters, "")


def scores_for(
    *, organisation_id: int, filters: OversightFilters, comparison: str = Comparison.DRAFT_VS_FINAL
) -> QuerySet[AgreementScore]:
    """Agreement scores of the organisation's non-void reviews matching the filters (all scorers unless one is set)."""
    qs = AgreementScore.objects.filter(
        comparison=comparison,
        review__case__organisation_id=organisation_id,
        review__voided_at__isnull=True,
    ).order_by()
    if filters.scorer is not None:
        qs = qs.filter(scorer_model=filters.scorer.model, scorer_num_layers=filters.scorer.num_layers)
    return _narrow(qs, filters, "review__")


def reviewer_options(*, organisation_id: int) -> list[tuple[int, str]]:
    """The organisation's people who have signed at least one review, for the reviewer filter (1 query)."""
    from dermreview.accounts.models import User

    return list(
        User.objects.filter(organisation_id=organisation_id, reviews__isnull=False)
        .distinct().order_by("username").values_list("pk", "username")
    )
