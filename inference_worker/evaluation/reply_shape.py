"""What a free reply looks like, before any parser tolerance: the probe's own reading of the model's habits.

The parser forgives a Markdown fence, prose around the JSON, alias keys and list values, so its verdict alone
does not show which of those the model actually does. This reads each reply independently (the first ``{``
decoded with `json.JSONDecoder.raw_decode`) and records the key spellings, value types, key order, fence and
prose, so that the profile's aliases, the grammar's layout and the image budget can be set to what the model
writes unconstrained.
"""

from __future__ import annotations

import json
import re
import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from inference_worker.types import DraftResult

_FENCE_LINE = re.compile(r"^[ \t]*```[A-Za-z0-9_-]*[ \t]*$", re.MULTILINE)
OTHER_KEY = "(no field)"


@dataclass(frozen=True, slots=True)
class ReplyShape:
    """One reply: fenced or not, prose outside the object, and the object's keys and value types in order."""

    fenced: bool
    prose: bool
    has_object: bool
    keys: tuple[str, ...] = ()
    value_types: tuple[str, ...] = ()  # one per key
    problem: str = ""  # why no object was found


def value_type(value: Any) -> str:
    """The JSON type of a value, as the summary names it."""
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return "null"


def inspect_reply(text: str) -> ReplyShape:
    """The shape of ``text``: the JSON value starting at its first "{" and what surrounds it."""
    fenced = "```" in text
    start = text.find("{")
    if start == -1:
        return ReplyShape(fenced=fenced, prose=bool(text.strip()), has_object=False, problem="no '{' in the reply")
    try:
        value, end = json.JSONDecoder().raw_decode(text, start)
    except json.JSONDecodeError as exc:
        return ReplyShape(fenced=fenced, prose=bool(text[:start].strip()), has_object=False,
                          problem=f"not JSON from the first '{{': {exc.msg} at character {exc.pos}")
    outside = _FENCE_LINE.sub("", text[:start] + "\n" + text[end:])
    if not isinstance(value, dict):
        return ReplyShape(fenced=fenced, prose=bool(outside.strip()), has_object=False, problem="not an object")
    return ReplyShape(
        fenced=fenced, prose=bool(outside.strip()), has_object=True, keys=tuple(value),
        value_types=tuple(value_type(item) for item in value.values()),
    )


@dataclass
class ShapeSummary:
    """What the replies of one profile and decoding mode have in common."""

    replies: int = 0
    parseable: int = 0
    objects: int = 0
    fenced: int = 0
    prose: int = 0
    mean_chars: float = 0.0
    mean_tokens: float = 0.0
    spellings: dict[str, Counter[str]] = field(default_factory=dict)  # field -> spelling -> replies
    value_types: dict[str, Counter[str]] = field(default_factory=dict)  # field -> type -> replies
    key_orders: Counter[str] = field(default_factory=Counter)  # "lesion_type, color, ..." -> replies
    failures: Counter[str] = field(default_factory=Counter)

    def share(self, count: int) -> float:
        return count / self.replies if self.replies else 0.0

    def as_data(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in ("replies", "parseable", "objects", "fenced", "prose")}
        data.update(
            share_parseable=self.share(self.parseable), share_object=self.share(self.objects),
            share_fenced=self.share(self.fenced), share_prose=self.share(self.prose),
            mean_chars=self.mean_chars, mean_tokens=self.mean_tokens,
            spellings={k: dict(v) for k, v in self.spellings.items()},
            value_types={k: dict(v) for k, v in self.value_types.items()},
            key_orders=dict(self.key_orders), failures=dict(self.failures),
        )
        return data


def summarise_shapes(
    drafts: Sequence[DraftResult], shapes: Sequence[ReplyShape], field_for_key: Callable[[str], str | None]
) -> ShapeSummary:
    """Count the habits of ``drafts``; ``field_for_key`` maps a reply key to its field (None: no field)."""
    summary = ShapeSummary(replies=len(drafts))
    for draft, shape in zip(drafts, shapes, strict=True):
        summary.parseable += draft.ok
        summary.objects += shape.has_object
        summary.fenced += shape.fenced
        summary.prose += shape.prose
        if draft.failure_kind is not None:
            summary.failures[str(draft.failure_kind)] += 1
        fields = [field_for_key(key) or OTHER_KEY for key in shape.keys]
        for key, name, kind in zip(shape.keys, fields, shape.value_types, strict=True):
            summary.spellings.setdefault(name, Counter())[key] += 1
            summary.value_types.setdefault(name, Counter())[kind] += 1
        if shape.has_object:
            summary.key_orders[", ".join(fields)] += 1
    if drafts:
        summary.mean_chars = statistics.fmean(len(draft.raw_text) for draft in drafts)
        summary.mean_tokens = statistics.fmean(draft.output_tokens for draft in drafts)
    return summary
