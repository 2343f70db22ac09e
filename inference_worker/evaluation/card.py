"""The figures the model card publishes, printed beside every evaluation so the two can be compared.

Source: the model card of `0xAgamy/unsloth_Qwen3vl_finetune` on the Hugging Face hub, "Evaluation Metrics":
BERTScore F1 per feature field against the clinical ground truth of its Skin_Extract dataset. The oversight
pages show the same figures (`dermreview.oversight.selectors.model_card.PUBLISHED_CARD`). The card does not say which BERTScore model, layer, idf or baseline setting it used, so a figure measured here with
another scorer is on another scale: compare like with like (`--scorer-model`), and read a gap as a question.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CardFigure:
    """One row of the card's table: BERTScore F1 mean, minimum, maximum and standard deviation."""

    mean: float
    minimum: float
    maximum: float
    std: float


# Model card, "Evaluation Metrics" table, field by field (our field names; the card says "Color").
CARD_BERTSCORE_F1: dict[str, CardFigure] = {
    "texture": CardFigure(0.9449, 0.8409, 1.0000, 0.0670),
    "lesion_type": CardFigure(0.9361, 0.8490, 1.0000, 0.0378),
    "borders": CardFigure(0.9108, 0.8433, 1.0000, 0.0377),
    "symmetry": CardFigure(0.9092, 0.8397, 1.0000, 0.0417),
    "summary": CardFigure(0.9087, 0.8498, 0.9672, 0.0227),
    "color": CardFigure(0.8972, 0.8315, 0.9647, 0.0245),
}
# The card's "Overall Average" row (~0.9178): the mean of the six field means.
CARD_OVERALL_F1 = 0.9178
