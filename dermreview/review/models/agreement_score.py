from __future__ import annotations

from django.db import models


class Comparison(models.TextChoices):
    DRAFT_VS_FINAL = "draft_vs_final", "AI draft vs signed finding"
    BLIND_VS_DRAFT = "blind_vs_draft", "Blind-first finding vs AI draft"
    BLIND_VS_FINAL = "blind_vs_final", "Blind-first finding vs signed finding"


class AgreementScore(models.Model):
    """Agreement between two texts of one field of one review, by one scorer.

    Scores from different scorers (model and layer) are different scales: every figure that aggregates
    them must group by `scorer_model` and `scorer_num_layers`.
    """

    review = models.ForeignKey("review.Review", on_delete=models.PROTECT, related_name="agreement_scores")
    comparison = models.CharField(max_length=20, choices=Comparison.choices)
    field = models.CharField(max_length=20)
    f1 = models.FloatField()
    precision = models.FloatField()
    recall = models.FloatField()
    exact_match = models.BooleanField()
    scorer_model = models.CharField(max_length=200)
    scorer_num_layers = models.PositiveSmallIntegerField()
    scorer_version = models.CharField(max_length=40, blank=True, help_text="bert-score package version.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["review", "comparison", "field", "scorer_model", "scorer_num_layers"],
                name="agreement_unique_per_scorer",
            ),
        ]
        indexes = [models.Index(fields=["comparison", "field", "scorer_model"], name="agreement_field_scorer_idx")]

    def __str__(self) -> str:
        return f"{self.comparison} {self.field} F1={self.f1:.4f} ({self.scorer_model})"
