"""Error pages outside /api/ look like the app (header, navigation, a message); /api/ keeps its JSON errors."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_403_page_is_styled_with_nav_and_message(alice, client_for):
    response = client_for(alice).get(reverse("oversight:dashboard"))
    html = response.content.decode()
    assert response.status_code == 403
    assert 'class="topbar"' in html and 'aria-label="Main"' in html and "/static/css/app.css" in html
    assert "You do not have access to this page" in html


def test_404_page_is_styled_outside_the_api(alice, client_for):
    response = client_for(alice).get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404 and "Page not found" in html and 'class="topbar"' in html


def test_api_404_stays_json(alice, client_for):
    response = client_for(alice).get("/api/v1/no-such-thing/")
    assert response.status_code == 404 and response["Content-Type"].startswith("application/json")


@override_settings(DEBUG=False)
def test_500_page_is_styled_and_standalone(rf):
    from dermreview.api.errors import handler500

    response = handler500(rf.get("/cases/"))
    html = response.content.decode()
    assert response.status_code == 500 and "Something went wrong" in html and "/static/css/app.css" in html
    assert "<script" not in html and "style=" not in html
