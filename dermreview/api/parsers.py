"""The API's JSON parser: any body DRF's would accept, except one nested beyond what a finding ever needs.

Python's JSON decoder recurses once per level; a body of a few thousand `[` reached the interpreter's recursion
limit and answered 500. Bodies deeper than MAX_JSON_DEPTH are a 400 with a clear message, whether the decoder
overflows or not (a body just under the decoder's limit would overflow later, in validation or the audit writer).
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# The deepest body the API takes: a sign-off is {"fields": {...}, "confirmed_fields": [...]}, depth 2.
MAX_JSON_DEPTH = 32
TOO_DEEP = f"JSON nested more than {MAX_JSON_DEPTH} levels deep is not accepted."


class DepthLimitedJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict[str, Any] | None = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(TOO_DEEP) from None
        if json_depth(data) > MAX_JSON_DEPTH:
            raise ParseError(TOO_DEEP)
        return data


def json_depth(value: Any) -> int:
    """How deeply lists and objects nest in a decoded JSON value (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth + 1)
        if deepest > MAX_JSON_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest
