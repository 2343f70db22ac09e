"""The cases list reflows as cards on phones: every cell names its column (`data-label`, shown by app.css)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_case_list_cells_carry_their_column_names(client_for, alice, case_factory):
    case_factory(organisation=alice.organisation, created_by=alice, patient_ref="MINE-1")
    content = client_for(alice).get(reverse("cases:list")).content.decode()
    headers = re.findall(r"<th>([^<]+)</th>", content.split("<thead>")[1].split("</thead>")[0])
    row = content.split("<tbody>")[1].split("</tr>")[0]
    assert re.findall(r'<td data-label="([^"]+)"', row) == headers
    assert headers == ["Case", "Patient ref", "Body site", "Lesion", "Photos", "Status", "Created"]
