from __future__ import annotations

import pytest
from django.urls import reverse

from dermreview.cases.models import Case, LesionImage

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(clinic, user_factory):  # noqa: ANN001, ANN201
    # Cases are patient data: admin staff see them through a clinical role in the clinic (not as superusers).
    return user_factory(username="root", organisation=clinic, roles=["clinic_admin", "auditor"])


@pytest.mark.parametrize("query", ["", "?status__exact=new", "?body_site__exact=back&high_risk__exact=0", "?q=PT-"])
def test_admin_case_changelist_filters_and_search(query, client_for, admin_user, alice_case, case_factory):
    other = case_factory(organisation=alice_case.organisation, patient_ref="ZZ-9", status="final", body_site="face")

    response = client_for(admin_user).get(reverse("admin:cases_case_changelist") + query)

    assert response.status_code == 200
    content = response.content.decode()
    assert alice_case.patient_ref in content
    assert (other.patient_ref in content) == (query == "")


def test_admin_image_changelist_searches_by_case_and_hash(client_for, admin_user, alice_image, image_factory):
    other = image_factory()
    client = client_for(admin_user)

    by_hash = client.get(reverse("admin:cases_lesionimage_changelist") + f"?q={alice_image.sha256}")
    by_case = client.get(reverse("admin:cases_lesionimage_changelist") + f"?q={alice_image.case.patient_ref}")
    by_text = client.get(reverse("admin:cases_lesionimage_changelist") + "?q=not-a-number")
    filtered = client.get(reverse("admin:cases_lesionimage_changelist") + "?capture_type__exact=dermoscopic")

    assert by_hash.status_code == by_case.status_code == by_text.status_code == filtered.status_code == 200
    assert by_hash.context["cl"].result_count == 1 and by_case.context["cl"].result_count == 1
    assert other.pk not in [i.pk for i in by_hash.context["cl"].result_list]
    assert filtered.context["cl"].result_count == 0


def test_admin_shows_images_read_only_with_protected_preview(client_for, admin_user, alice_image):
    client = client_for(admin_user)

    case_page = client.get(reverse("admin:cases_case_change", args=[alice_image.case_id]))
    image_page = client.get(reverse("admin:cases_lesionimage_change", args=[alice_image.pk]))

    for page in (case_page, image_page):
        assert page.status_code == 200
        html = page.content.decode()
        assert reverse("cases:image_thumbnail", args=[alice_image.pk]) in html
        assert 'name="_save"' not in html  # view only
    assert client.get(reverse("admin:cases_lesionimage_add")).status_code == 403
    assert client.get(reverse("admin:cases_case_add")).status_code == 403
    assert client.post(reverse("admin:cases_case_delete", args=[alice_image.case_id]), {"post": "yes"}).status_code == 403
    assert Case.objects.filter(pk=alice_image.case_id).exists() and LesionImage.objects.filter(pk=alice_image.pk).exists()
