"""The accuracy page's figures, from the lesions `accuracy.outcome_readings` read: plain arithmetic on counts.

- **High-risk sensitivity and specificity** per reader: a lesion is positive when its outcome's class is
  high-risk (`DiagnosisClass.high_risk`, the flag the review rules use); a reader calls it positive when the class
  it named is high-risk, or when its text named no class (as `review.services.rules.is_high_risk` treats AI text).
  The same per high-risk class found among the outcomes (positive: that class exactly).
- **Number needed to biopsy per melanoma**: lesions biopsied or excised (the counted visit's plan was biopsy, or
  the outcome was confirmed by histopathology) divided by the melanomas among them; its interval is the Wilson
  interval of the melanoma yield (melanomas / biopsied), inverted.
- **Confusion tables**: outcome class (rows) against the class a reader named (columns).

Every proportion comes with its counts and a Wilson 95% interval (`inference_worker.evaluation.metrics`, the one
the shadow evaluation uses); below `min_n` in its denominator a figure is "not enough data".
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from dermreview.oversight.selectors.accuracy import (
    NO_DRAFT,
    READERS,
    ClassInfo,
    ModelKey,
    Reading,
    outcome_readings,
)
from dermreview.oversight.selectors.strata import MIN_N, Figure, Split
from inference_worker.evaluation.metrics import proportion

NO_CLASS = "no matching class (treated as high-risk)"


@dataclass(frozen=True)
class Binary:
    """Counts of one positive-vs-not question for one reader."""

    tp: int
    fn: int
    tn: int
    fp: int
    min_n: int

    @property
    def n(self) -> int:
        return self.tp + self.fn + self.tn + self.fp

    @property
    def sensitivity(self) -> Figure:
        return Figure(proportion(self.tp, self.tp + self.fn), self.min_n)

    @property
    def specificity(self) -> Figure:
        return Figure(proportion(self.tn, self.tn + self.fp), self.min_n)


def binary(pairs: Iterable[tuple[bool, bool]], *, min_n: int) -> Binary:
    """(truly positive, called positive) pairs counted."""
    counts = Counter(pairs)
    return Binary(tp=counts[(True, True)], fn=counts[(True, False)], tn=counts[(False, False)],
                  fp=counts[(False, True)], min_n=min_n)


@dataclass(frozen=True)
class ReaderFigures:
    key: str
    label: str
    n: int  # lesions this reader has a reading for
    high_risk: Binary
    accuracy: Figure  # the exact class named
    per_class: tuple[tuple[ClassInfo, Binary], ...]  # the high-risk classes among the outcomes


@dataclass(frozen=True)
class Biopsies:
    biopsied: int
    melanomas: int
    min_n: int

    @property
    def melanoma_yield(self) -> Figure:
        return Figure(proportion(self.melanomas, self.biopsied), self.min_n)

    @property
    def nnb(self) -> float | None:
        return self.biopsied / self.melanomas if self.melanomas else None

    @property
    def nnb_interval(self) -> tuple[float, float | None] | None:
        """(low, high) of the NNB: the yield's Wilson bounds inverted; high is None (unbounded) at a zero bound."""
        found = self.melanoma_yield.p
        if found.low is None or found.high is None or found.high == 0:
            return None
        return 1 / found.high, (1 / found.low if found.low > 0 else None)


@dataclass(frozen=True)
class Confusion:
    title: str
    columns: tuple[str, ...]  # predicted class names (NO_CLASS last when present)
    rows: tuple[tuple[str, tuple[int, ...], int], ...]  # outcome class name, counts per column, correct count


@dataclass(frozen=True)
class Stratum:
    value: str
    label: str
    n: int
    readers: tuple[ReaderFigures, ...]


@dataclass(frozen=True)
class AccuracyGroup:
    model: ModelKey
    n: int
    readers: tuple[ReaderFigures, ...]
    biopsies: Biopsies
    confusions: tuple[Confusion, ...]
    strata: tuple[Stratum, ...]

    @property
    def has_draft(self) -> bool:
        return self.model != NO_DRAFT

    @property
    def class_rows(self) -> list[tuple[ClassInfo, tuple[Binary, ...]]]:
        """The per-class figures pivoted for the page: one row per high-risk class, one cell per reader."""
        if not self.readers:
            return []
        return [(info, tuple(reader.per_class[i][1] for reader in self.readers))
                for i, (info, _) in enumerate(self.readers[0].per_class)]


@dataclass(frozen=True)
class AccuracyPage:
    groups: tuple[AccuracyGroup, ...]
    with_outcome: int
    no_visit_before: int
    split: Split | None
    min_n: int


def _called_high_risk(code: str | None, classes: dict[str, ClassInfo]) -> bool:
    return code is None or classes[code].high_risk


def reader_figures(readings: list[Reading], key: str, label: str, classes: dict[str, ClassInfo], *,
                   min_n: int) -> ReaderFigures:
    read = [(r.truth, r.readings[key]) for r in readings if r.has(key)]
    # The same classes for every reader of a group, so their rows line up side by side.
    high_risk_truths = sorted({r.truth for r in readings if classes[r.truth].high_risk},
                              key=lambda c: (classes[c].ordering, classes[c].name))
    return ReaderFigures(
        key=key, label=label, n=len(read),
        high_risk=binary(((classes[t].high_risk, _called_high_risk(p, classes)) for t, p in read), min_n=min_n),
        accuracy=Figure(proportion(sum(t == p for t, p in read), len(read)), min_n),
        per_class=tuple((classes[c], binary(((t == c, p == c) for t, p in read), min_n=min_n))
                        for c in high_risk_truths),
    )


def _all_readers(readings: list[Reading], classes: dict[str, ClassInfo], *, min_n: int,
                 with_ai: bool) -> tuple[ReaderFigures, ...]:
    return tuple(reader_figures(readings, key, label, classes, min_n=min_n)
                 for key, label in READERS if with_ai or key != "ai")


def confusion(readings: list[Reading], key: str, title: str, classes: dict[str, ClassInfo]) -> Confusion:
    pairs = [(r.truth, r.readings[key]) for r in readings if r.has(key)]

    def order(code: str) -> tuple[bool, int, str]:
        return (not classes[code].high_risk, classes[code].ordering, classes[code].name)

    truths = sorted({t for t, _ in pairs}, key=order)
    predicted: list[str | None] = sorted({p for _, p in pairs if p is not None}, key=order)
    if any(p is None for _, p in pairs):
        predicted.append(None)
    counts = Counter(pairs)
    return Confusion(
        title=title,
        columns=tuple(classes[p].name if p is not None else NO_CLASS for p in predicted),
        rows=tuple((classes[t].name, tuple(counts[(t, p)] for p in predicted), counts[(t, t)]) for t in truths),
    )


def _strata(readings: list[Reading], split: Split, classes: dict[str, ClassInfo], *, min_n: int,
            with_ai: bool) -> tuple[Stratum, ...]:
    by_value: dict[str, list[Reading]] = defaultdict(list)
    for reading in readings:
        by_value[reading.fitzpatrick if split.key == "fitzpatrick" else reading.capture].append(reading)
    return tuple(
        Stratum(value=value, label=split.label_of(value), n=len(by_value[value]),
                readers=_all_readers(by_value[value], classes, min_n=min_n, with_ai=with_ai))
        for value in sorted(by_value, key=split.order_of)
    )


def _group(model: ModelKey, readings: list[Reading], classes: dict[str, ClassInfo], *, split: Split | None,
           min_n: int) -> AccuracyGroup:
    with_ai = model != NO_DRAFT
    biopsied = [r for r in readings if r.biopsied]
    confusions = [confusion(readings, "final", "Humans with AI (signed finding) against the outcome", classes)]
    if with_ai:
        confusions.insert(0, confusion(readings, "ai", "AI alone against the outcome", classes))
    return AccuracyGroup(
        model=model, n=len(readings),
        readers=_all_readers(readings, classes, min_n=min_n, with_ai=with_ai),
        biopsies=Biopsies(biopsied=len(biopsied), melanomas=sum(classes[r.truth].melanoma for r in biopsied),
                          min_n=min_n),
        confusions=tuple(confusions),
        strata=_strata(readings, split, classes, min_n=min_n, with_ai=with_ai) if split is not None else (),
    )


def accuracy_page(*, organisation_id: int, split: Split | None = None, min_n: int = MIN_N) -> AccuracyPage:
    """The accuracy page: per model version (visits without a draft last), the three readers side by side."""
    data = outcome_readings(organisation_id=organisation_id)
    by_model: dict[ModelKey, list[Reading]] = defaultdict(list)
    for reading in data.readings:
        by_model[reading.model].append(reading)
    models = sorted(by_model, key=lambda m: (m == NO_DRAFT, m))
    return AccuracyPage(
        groups=tuple(_group(m, by_model[m], data.classes, split=split, min_n=min_n) for m in models),
        with_outcome=data.with_outcome, no_visit_before=data.no_visit_before, split=split, min_n=min_n,
    )
