"""Server-side charts: matplotlib with the Agg backend (no display, no pyplot state), written out as SVG.

Each function takes the same rows the page shows in the table beside the chart, so chart and table cannot
disagree. SVGs are cached under a hash of the plotted data, so a cached chart is never stale.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from dermreview.drafting.models import FINDING_FIELDS
from dermreview.oversight.selectors.model_card import FIELD_LABELS  # noqa: E402
from dermreview.oversight.selectors.series import (  # noqa: E402
    HISTOGRAM_BINS,
    Histogram,
    ReviewerWeek,
    WeeklyAgreement,
)

# Text stays text (smaller files, selectable, readable by assistive tools); ids are stable between renders.
# Labels carry user names and model ids: never read "$...$" in them as mathtext.
_RC = {"svg.fonttype": "none", "svg.hashsalt": "dermreview", "font.size": 10, "axes.spines.top": False,
       "axes.spines.right": False, "text.parse_math": False}
# Colour-blind-safe (Okabe–Ito), one per field in FINDING_FIELDS order; markers differ too, for greyscale.
_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#F0E442"]
_MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
MAX_REVIEWER_LINES = 8


def _svg(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    with matplotlib.rc_context(_RC):
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": "DermReview"})
    return buffer.getvalue()


def _figure(width: float = 8.0, height: float = 3.6) -> Figure:
    with matplotlib.rc_context(_RC):
        return Figure(figsize=(width, height), layout="constrained")


def _empty(fig: Figure, ax: Any, message: str) -> None:
    ax.set_axis_off()
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=12, color="#5b6470", transform=ax.transAxes)


def _date_axis(ax: Any, weeks: list[date]) -> None:
    """Readable week labels; a single week gets a few days either side instead of matplotlib's years."""
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    first, last = min(weeks), max(weeks)
    pad = timedelta(days=4 if first != last else 10)
    ax.set_xlim(first - pad, last + pad)


def cached_svg(kind: str, data: Any, render: Callable[[], bytes]) -> bytes:
    """Render once per distinct data set (for DERMREVIEW_OVERSIGHT_CHART_CACHE_S seconds)."""
    ttl = settings.DERMREVIEW_OVERSIGHT_CHART_CACHE_S
    if ttl <= 0:
        return render()
    digest = hashlib.sha256(json.dumps([kind, data], sort_keys=True, default=str).encode()).hexdigest()
    key = f"oversight:chart:{digest}"
    svg = cache.get(key)
    if svg is None:
        svg = render()
        cache.set(key, svg, ttl)
    return svg


def weekly_agreement_svg(points: list[WeeklyAgreement], *, scorer_label: str) -> bytes:
    with matplotlib.rc_context(_RC):
        fig = _figure()
        ax = fig.subplots()
        if not points:
            _empty(fig, ax, "No scored sign-offs for these filters yet")
            return _svg(fig)
        for i, field_name in enumerate(FINDING_FIELDS):
            series = [p for p in points if p.field == field_name]
            if series:
                ax.plot([p.week for p in series], [p.mean for p in series], marker=_MARKERS[i], markersize=4,
                        color=_COLOURS[i], label=FIELD_LABELS[field_name], linewidth=1.6)
        lowest = min(p.mean for p in points)
        ax.set_ylim(max(0.0, min(0.8, lowest - 0.05)), 1.005)
        ax.set_ylabel("Mean BERTScore F1")
        ax.set_xlabel("Week starting")
        _date_axis(ax, [p.week for p in points])
        ax.set_title(f"Weekly agreement, AI draft vs signed finding — scorer {scorer_label}", fontsize=10, loc="left")
        ax.grid(axis="y", color="#d9dee5", linewidth=0.6)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
        return _svg(fig)


def distribution_svg(histogram: Histogram, *, scorer_label: str) -> bytes:
    with matplotlib.rc_context(_RC):
        fig = _figure(9.0, 4.6)
        if not histogram.counts:
            _empty(fig, fig.subplots(), "No scored sign-offs for these filters yet")
            return _svg(fig)
        occupied = histogram.occupied_bins()
        low = max(0, min(occupied) - 1) / HISTOGRAM_BINS
        axes = fig.subplots(2, 3, sharex=True).flatten()
        width = 1 / HISTOGRAM_BINS
        for i, (ax, field_name) in enumerate(zip(axes, FINDING_FIELDS, strict=True)):
            counts = histogram.counts.get(field_name)
            ax.set_title(FIELD_LABELS[field_name], fontsize=10, loc="left")
            if not counts:
                ax.text(0.5, 0.5, "no scores", ha="center", va="center", color="#5b6470", transform=ax.transAxes)
                continue
            lefts = [b / HISTOGRAM_BINS for b in range(HISTOGRAM_BINS)]
            ax.bar(lefts, counts, width=width, align="edge", color=_COLOURS[i], edgecolor="white", linewidth=0.4)
            ax.set_xlim(low, 1.0)
        for ax in axes[3:]:
            ax.set_xlabel("BERTScore F1")
        axes[0].set_ylabel("Sign-offs")
        axes[3].set_ylabel("Sign-offs")
        fig.suptitle(f"Distribution of agreement per field — scorer {scorer_label}", fontsize=10, x=0.01, ha="left")
        return _svg(fig)


def reviewer_acceptance_svg(rows: list[ReviewerWeek], *, threshold: float) -> bytes:
    with matplotlib.rc_context(_RC):
        fig = _figure()
        ax = fig.subplots()
        if not rows:
            _empty(fig, ax, "No sign-offs of AI drafts for these filters yet")
            return _svg(fig)
        totals: dict[str, int] = {}
        for r in rows:
            totals[r.reviewer] = totals.get(r.reviewer, 0) + r.n
        shown = sorted(totals, key=lambda name: (-totals[name], name))[:MAX_REVIEWER_LINES]
        for i, name in enumerate(sorted(shown)):
            series = [r for r in rows if r.reviewer == name]
            ax.plot([r.week for r in series], [r.unchanged_rate * 100 for r in series], marker=_MARKERS[i],
                    markersize=4, color=_COLOURS[i], label=name, linewidth=1.6)
        ax.axhline(threshold * 100, color="#a3141e", linestyle="--", linewidth=1)
        ax.text(0.005, threshold * 100, f" alarm threshold {threshold:.0%}", color="#a3141e", va="bottom",
                fontsize=8, transform=ax.get_yaxis_transform())
        ax.set_ylim(-2, 102)
        ax.set_ylabel("AI drafts accepted unchanged (%)")
        ax.set_xlabel("Week starting")
        _date_axis(ax, [r.week for r in rows])
        title = "Unchanged acceptance per reviewer"
        if len(totals) > len(shown):
            title += f" (the {len(shown)} busiest of {len(totals)} reviewers; all in the table)"
        ax.set_title(title, fontsize=10, loc="left")
        ax.grid(axis="y", color="#d9dee5", linewidth=0.6)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
        return _svg(fig)
