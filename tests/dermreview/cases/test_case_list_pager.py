"""The case list's pager keeps every filter: page 2 of a filtered list is page 2 of the same list."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from dermreview.cases.models import CaseStatus

pytestmark = pytest.mark.django_db


def _pager_links(content: str) -> dict[str, dict[str, list[str]]]:
    pager = content.split('<nav class="pager">')[1].split("</nav>")[0]
    return {label: parse_qs(urlsplit(unescape(href)).query)
            for href, label in re.findall(r'<a href="([^"]+)">([^<]+)</a>', pager)}


def test_the_pager_keeps_search_status_and_body_site(client_for, alice, case_factory):
    for n in range(30):  # 25 a page
        case_factory(organisation=alice.organisation, created_by=alice, patient_ref=f"PAGER-{n}",
                     status=CaseStatus.FINAL, body_site="face")
    case_factory(organisation=alice.organisation, created_by=alice, patient_ref="PAGER-X", status=CaseStatus.NEW,
                 body_site="face")
    filters = {"q": "PAGER", "status": CaseStatus.FINAL, "body_site": "face"}
    client = client_for(alice)
    first = client.get(reverse("cases:list"), filters).content.decode()
    assert "Page 1 of 2" in first
    assert _pager_links(first) == {"Next ›": {**{k: [v] for k, v in filters.items()}, "page": ["2"]}}
    second = client.get(reverse("cases:list"), {**filters, "page": "2"}).content.decode()
    assert "Page 2 of 2" in second and second.count("PAGER-") == 5 and "PAGER-X" not in second
    assert _pager_links(second) == {"‹ Previous": {**{k: [v] for k, v in filters.items()}, "page": ["1"]}}
