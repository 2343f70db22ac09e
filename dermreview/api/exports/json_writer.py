"""JSON: `{"export": {...}, "findings": [record, ...]}`, written record by record (never one big list in memory)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from dermreview.api.exports import records as export_records
from dermreview.api.exports.records import Record


def write_json(records: Iterable[Record], *, meta: dict[str, Any]) -> Iterator[str]:
    head = json.dumps({"export": meta}, ensure_ascii=False)
    parts = [head[:-1] + ', "findings": [']
    size, limit = 0, export_records.FLUSH_CHARS
    separator = ""
    for record in records:
        text = separator + json.dumps(record, ensure_ascii=False)
        separator = ","
        parts.append(text)
        size += len(text)
        if size >= limit:
            yield "".join(parts)
            parts, size = [], 0
    parts.append("]}")
    yield "".join(parts)
