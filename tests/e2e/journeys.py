"""Scenario builders shared by the browser journeys: one clinic with its people, cases brought to a state through the
real services (setup is not the journey: only the journey under test goes through the browser), and the few page
helpers every journey needs."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.contrib.auth.models import Group
from django.utils import timezone

from dermreview.cases.models import Case, CaseStatus
from dermreview.drafting.models import FINDING_FIELDS
from dermreview.review.models import Review
from dermreview.review.services.adjudication import review_adjudicate
from tests.dermreview.review.review_helpers import MELANOMA, NEVUS, ready_case, sign
from tests.factories import OrganisationFactory, UserFactory

ROLES = ("clinician", "reviewer", "auditor")


@dataclass(frozen=True)
class People:
    """The personas of tests/conftest.py, in one clinic: `alice` the clinician who owns the cases, `bob` and `dave`
    reviewers (the dual review's first and second), `erin` a third reviewer, `carol` an auditor."""

    alice: Any
    bob: Any
    dave: Any
    erin: Any
    carol: Any


def clinic_people() -> People:
    # The role groups come from a data migration, which a transactional test's flush may have removed.
    for role in ROLES:
        Group.objects.get_or_create(name=role)
    clinic = OrganisationFactory(name="Riverside Dermatology", slug="riverside")
    people = {name: UserFactory(username=name, organisation=clinic, roles=[role]) for name, role in (
        ("alice", "clinician"), ("bob", "reviewer"), ("dave", "reviewer"), ("erin", "reviewer"), ("carol", "auditor"))}
    return People(**people)


def disagreeing_case(people: People, **case_fields: Any) -> Case:
    """A high-risk case whose round 1 (bob) signs the AI's melanoma and round 2 (dave) a benign naevus: the two
    disagree on the lesion class, so the case needs adjudication."""
    case = ready_case(people.alice, draft=MELANOMA, **case_fields)
    sign(case, people.bob, confirmed=FINDING_FIELDS)
    sign(case, people.dave, fields=NEVUS, confirmed=FINDING_FIELDS)
    case.refresh_from_db()
    assert case.status == CaseStatus.NEEDS_ADJUDICATION
    return case


def adjudicated_case(people: People, **case_fields: Any) -> tuple[Case, Review]:
    """A disagreement (`disagreeing_case`) that erin, a third reviewer, has settled for bob's melanoma."""
    case = disagreeing_case(people, **case_fields)
    review = review_adjudicate(case=case, reviewer=people.erin, fields=dict(MELANOMA),
                               opened_at=timezone.now() - timedelta(seconds=40),
                               expected_lock_version=case.lock_version, attestation=True)
    return case, review


def final_case(people: People, *, fields: dict[str, str] | None = None, **case_fields: Any) -> tuple[Case, Review]:
    """A single-review case (benign naevus drafted) that bob has signed final, with `fields` as his finding."""
    case = ready_case(people.alice, **case_fields)
    review = sign(case, people.bob, fields=fields)
    case.refresh_from_db()
    assert case.status == CaseStatus.FINAL
    return case, review


def switch_user(page: Any, login: Any, user: Any) -> None:
    """Log out through the header's button and log `user` in through the real forms."""
    page.locator(".whoami button[type=submit]").click()
    page.wait_for_url(re.compile(r"/accounts/"))
    login(user)


def text(locator: Any) -> str:
    """A locator's text as a reader gets it: whitespace collapsed (text_content: CSS may upper-case labels)."""
    return " ".join((locator.text_content() or "").split())


def messages(page: Any) -> str:
    """The flash messages at the top of the page."""
    return text(page.locator("main ul.messages"))


def watch_for_problems(page: Any) -> list[str]:
    """Script errors and failed requests (4xx/5xx) seen while the journey runs. A refusal the journey provokes
    on purpose is listed too (its status and URL), so a test asserts exactly the refusals it expects."""
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda msg: problems.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource") else None)
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    return problems


def start_and_sign(page: Any, case_pk: int, fields: dict[str, str] | None = None) -> None:
    """On the review page: "Start review", type `fields` (each differing from the AI draft), confirm the other
    fields as they stand, choose "Reassure and discharge", attest and sign."""
    typed = fields or {}
    page.goto(f"/review/cases/{case_pk}/")
    page.locator("#start-review-button").click()
    page.wait_for_url(f"**/review/cases/{case_pk}/#review-work")
    for field in FINDING_FIELDS:
        if field in typed:
            page.fill(f"#id_{field}", typed[field])
        else:
            page.check(f"#id_confirm_{field}")
    # The management plan the sign-off that makes a case final needs (a high-risk first review stores it too).
    page.get_by_label("Reassure and discharge").check()
    page.check("#id_attestation")
    page.click("#sign-button")
    page.wait_for_url("**/review/reviews/*/")


@dataclass(frozen=True)
class Export:
    filename: str
    rows: list[dict[str, str]]  # the CSV's records by column name


def download_csv_export(page: Any, *, since: date | None = None, until: date | None = None,
                        include_drafts: bool = False) -> Export:
    """On the export page (/oversight/export/): choose CSV and the date range, press "Download export", read the
    downloaded file."""
    page.goto("/oversight/export/")
    form = page.locator("#export-form")
    form.get_by_label("Format").select_option("csv")
    form.get_by_label("Signed on or after").fill(since.isoformat() if since else "")
    form.get_by_label("Signed on or before").fill(until.isoformat() if until else "")
    form.get_by_label("Include unreviewed AI drafts (auditors)").set_checked(include_drafts)
    with page.expect_download() as started:
        form.get_by_role("button", name="Download export").click()
    download = started.value
    content = Path(download.path()).read_text(encoding="utf-8")
    return Export(filename=download.suggested_filename, rows=list(csv.DictReader(io.StringIO(content))))
