"""A case's details are part of what was signed: the clinician who changes the body site of a case a reviewer has
just signed is refused and told to ask for an amendment, the page keeps the signed value, and so does the export."""

from __future__ import annotations

import pytest

from dermreview.cases.models import BodySite, Case
from tests.dermreview.review.review_helpers import ready_case, sign
from tests.e2e.journeys import People, download_csv_export, text, watch_for_problems

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIGNED_MESSAGE = ("Not editable. This case has a signed finding: its details are part of what was signed. Ask a "
                  "reviewer to amend the finding if the body site, lesion label or notes were wrong.")


def test_editing_the_body_site_of_a_signed_case_is_refused_and_the_export_keeps_it(page, login, people: People) -> None:  # noqa: ANN001
    case = ready_case(people.alice, patient_ref="E2E-SITE", body_site=BodySite.BACK, lesion_label="left shoulder")
    problems = watch_for_problems(page)

    login(people.alice)
    page.goto(f"/cases/{case.pk}/")
    page.get_by_role("link", name="Edit details").click()
    page.wait_for_url(f"**/cases/{case.pk}/edit/")
    assert page.get_by_role("button", name="Save", exact=True).is_visible()  # still editable: nobody has signed yet

    sign(case, people.bob)  # bob signs while her form is open
    page.get_by_label("Body site").select_option(label="Face")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_load_state()
    assert text(page.locator("#case-signed")).startswith(SIGNED_MESSAGE)
    assert page.get_by_label("Body site").is_disabled()
    assert page.get_by_label("Body site").input_value() == BodySite.BACK  # shown as signed, not as she typed it
    assert page.get_by_role("button", name="Save", exact=True).count() == 0
    refusal = f"409 {page.url}"
    assert problems == [refusal]  # the refusal, and nothing else

    # The amendment path it points to, and the case page, still say Back.
    page.locator("#amend-flow-link").click()
    page.wait_for_url(f"**/cases/{case.pk}/#case-finding")
    details = page.locator("dl.facts").first
    facts = dict(zip([text(dt) for dt in details.locator("dt").all()], [text(dd) for dd in details.locator("dd").all()],
                     strict=True))
    assert (facts["Body site"], facts["Lesion label"]) == ("Back", "left shoulder")
    assert text(page.locator("#finding-status")) == "Final"
    assert Case.objects.get(pk=case.pk).body_site == BodySite.BACK

    # Opened afresh, the form is read-only from the start.
    page.get_by_role("link", name="Edit details").click()
    page.wait_for_url(f"**/cases/{case.pk}/edit/")
    assert text(page.locator("#case-signed")).startswith(SIGNED_MESSAGE)
    assert page.get_by_label("Body site").is_disabled() and page.get_by_role("button", name="Save", exact=True).count() == 0

    export = download_csv_export(page)
    finding = next(row for row in export.rows if row["case_id"] == str(case.pk))
    assert (finding["kind"], finding["body_site"], finding["lesion_label"]) == ("signed_finding", "back",
                                                                                "left shoulder")
    assert problems == [refusal]  # no other refusal or script error on the way
