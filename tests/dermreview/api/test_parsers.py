"""Deeply nested JSON is a clear 400 on every JSON endpoint, never a 500."""

from __future__ import annotations

import pytest

from dermreview.api.parsers import MAX_JSON_DEPTH, json_depth


@pytest.mark.django_db
@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 5_000, 100_000])
def test_deeply_nested_body_answers_400_with_a_clear_message(api, alice, depth: int) -> None:  # noqa: ANN001
    client = api(alice)
    body = "[" * depth + "]" * depth
    for path in ("/api/v1/cases/", "/api/v1/auth/token/"):
        response = client.post(path, data=body, content_type="application/json")
        assert response.status_code == 400, (path, response.status_code)
        assert response.json()["error"] == "parse_error"
        assert "nested more than" in response.json()["detail"]


@pytest.mark.django_db
def test_body_at_the_limit_is_parsed_as_usual(api, alice) -> None:  # noqa: ANN001
    nested: object = "back"
    for _ in range(MAX_JSON_DEPTH - 1):
        nested = [nested]
    response = api(alice).post("/api/v1/cases/", data={"patient_ref": "MRN-1", "body_site": nested},
                               format="json")
    assert response.status_code == 400
    assert "body_site" in response.json()["fields"]  # a validation error, not a parse error


def test_json_depth_counts_levels_without_recursion() -> None:
    assert json_depth(1) == 0
    assert json_depth({"a": [1, {"b": []}]}) == 4
    deep: list = []
    for _ in range(50_000):
        deep = [deep]
    assert json_depth(deep) == MAX_JSON_DEPTH + 1  # stops counting past the limit
