"""axe-core on the real-accuracy page and the split model card, as an auditor, at desktop and phone sizes: no
serious or critical violation. The browser, the live server and the log-in are the browser journeys' own
(tests/e2e/conftest.py), as is the scan (`tests.e2e.test_accessibility._violations`)."""

from __future__ import annotations

from typing import Any

import pytest

from dermreview.cases.models import DiagnosisClass
from tests.dermreview.oversight.test_accuracy import fixture  # noqa: F401 - the hand-computed fixture, reused
from tests.e2e.test_accessibility import _violations
from tests.factories import diagnosis_vocabulary_seed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def vocabulary(transactional_db: None) -> None:
    # A transactional test's flush empties the shared classes the data migration wrote.
    if not DiagnosisClass.objects.filter(organisation__isnull=True).exists():
        diagnosis_vocabulary_seed()


def test_accuracy_pages_pass_axe(vocabulary: None, fixture: Any, page: Any, login: Any, carol: Any) -> None:  # noqa: F811
    login(carol)
    found: list[str] = []
    for name, url in {"accuracy": "/oversight/accuracy/", "accuracy by skin type": "/oversight/accuracy/?split=fitzpatrick",
                      "model card by capture": "/oversight/?split=capture"}.items():
        response = page.goto(url)
        assert response is not None and response.status == 200, f"{name}: {url}"
        page.wait_for_load_state("networkidle")
        found += _violations(page, name)
    assert found == [], "\n".join(found)
