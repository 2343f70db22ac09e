from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("persona", "landing"), [
    ("bob", "review:queue"),
    ("alice", "cases:list"),
    ("carol", "oversight:dashboard"),
    ("adam", "cases:list"),
    ("mallory", "review:queue"),  # every role: reviewing is the day's work
])
def test_home_lands_each_role_on_its_own_page(client_for, request, persona, landing):
    user = request.getfixturevalue(persona)
    response = client_for(user).get(reverse("home"))
    assert response.status_code == 302 and response.url == reverse(landing)


def test_home_sends_anonymous_visitor_to_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
