"""`/api/v1/`: resources, commands, export, token exchange, the OpenAPI document and its docs page.

Routes are listed by hand rather than by a router: nested routes (`cases/{case_pk}/images/`) need the parent
case, and a router would also publish flat, unpaginated lists (`images/`) nobody should page through.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.urls import path, re_path
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from dermreview.api.errors import api_not_found
from dermreview.api.reports.views import CaseReportView
from dermreview.api.views.auth import MeView, TokenView
from dermreview.api.views.cases import CaseViewSet
from dermreview.api.views.dicom import CaseDicomView
from dermreview.api.views.exports import FindingExportView
from dermreview.api.views.images import ImageViewSet
from dermreview.api.views.lesions import LesionViewSet
from dermreview.api.views.outcomes import OutcomeViewSet
from dermreview.api.views.patients import PatientViewSet
from dermreview.api.views.reviews import ReviewViewSet

# No app namespace: templates/base.html links `{% url "api-docs" %}`; every name here starts with "api-".


class SchemaView(SpectacularAPIView):
    """The OpenAPI document (YAML, or JSON for `Accept: application/json`), for token or session callers."""

    def handle_exception(self, exc: Exception) -> Response:
        # Errors in the API's JSON shape, not rendered as an OpenAPI YAML document.
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI from the local sidecar bundle. A browser page: anonymous visitors go to the login form."""

    permission_classes = [AllowAny]

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return super().get(request, *args, **kwargs)


urlpatterns = [
    path("schema/", SchemaView.as_view(), name="api-schema"),
    path("docs/", DocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("me/", MeView.as_view(), name="api-me"),
    path("cases/", CaseViewSet.as_view({"get": "list", "post": "create"}), name="api-case-list"),
    path("cases/<int:pk>/", CaseViewSet.as_view({"get": "retrieve", "patch": "partial_update"}),
         name="api-case-detail"),
    path("cases/<int:pk>/claim/", CaseViewSet.as_view({"post": "claim", "delete": "claim"}), name="api-case-claim"),
    path("cases/<int:pk>/blind-finding/", CaseViewSet.as_view({"post": "blind_finding"}),
         name="api-case-blind-finding"),
    path("cases/<int:pk>/sign/", CaseViewSet.as_view({"post": "sign"}), name="api-case-sign"),
    path("cases/<int:pk>/report.pdf", CaseReportView.as_view(), name="api-case-report"),
    path("cases/<int:pk>/dicom/", CaseDicomView.as_view(), name="api-case-dicom"),
    path("cases/<int:case_pk>/images/", ImageViewSet.as_view({"get": "list", "post": "create"}),
         name="api-case-images"),
    path("cases/<int:case_pk>/reviews/", ReviewViewSet.as_view({"get": "list"}), name="api-case-reviews"),
    path("images/<int:pk>/", ImageViewSet.as_view({"get": "retrieve", "patch": "partial_update"}),
         name="api-image-detail"),
    path("images/<int:pk>/draft/", ImageViewSet.as_view({"get": "draft"}), name="api-image-draft"),
    path("images/<int:pk>/file/", ImageViewSet.as_view({"get": "file"}), name="api-image-file"),
    path("images/<int:pk>/thumbnail/", ImageViewSet.as_view({"get": "thumbnail"}), name="api-image-thumbnail"),
    path("images/<int:pk>/display/", ImageViewSet.as_view({"get": "display"}), name="api-image-display"),
    path("reviews/<int:pk>/", ReviewViewSet.as_view({"get": "retrieve"}), name="api-review-detail"),
    path("reviews/<int:pk>/amend/", ReviewViewSet.as_view({"post": "amend"}), name="api-review-amend"),
    path("findings/export/", FindingExportView.as_view(), name="api-findings-export"),
    # Patients, their lesions (each lesion's visits are cases) and what each lesion turned out to be.
    path("patients/", PatientViewSet.as_view({"get": "list", "post": "create"}), name="api-patient-list"),
    path("patients/<int:pk>/", PatientViewSet.as_view({"get": "retrieve", "patch": "partial_update"}),
         name="api-patient-detail"),
    path("lesions/", LesionViewSet.as_view({"get": "list", "post": "create"}), name="api-lesion-list"),
    path("lesions/<int:pk>/", LesionViewSet.as_view({"get": "retrieve", "patch": "partial_update"}),
         name="api-lesion-detail"),
    path("lesions/<int:pk>/timeline/", LesionViewSet.as_view({"get": "timeline"}), name="api-lesion-timeline"),
    path("outcomes/", OutcomeViewSet.as_view({"get": "list", "post": "create"}), name="api-outcome-list"),
    path("outcomes/<int:pk>/", OutcomeViewSet.as_view({"get": "retrieve"}), name="api-outcome-detail"),
    path("outcomes/<int:pk>/void/", OutcomeViewSet.as_view({"post": "void"}), name="api-outcome-void"),
    # Last: any other path under /api/v1/ is a JSON 404, never Django's HTML page.
    re_path(r"^.*$", api_not_found, name="api-not-found"),
]
