"""A `CaseReport` as PDF bytes: the Django template `reports/case_report.html`, printed by WeasyPrint.

The renderer may fetch nothing but `data:` URIs (the photos and the body-map figure are embedded by
`figures.py`; the print stylesheet is handed over as a string): a report never reaches the network or reads a
file by path, whatever its text contains.
"""

from __future__ import annotations

from functools import cache
from types import ModuleType

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from PIL import ImageFile

from dermreview.api.reports.pdf_report import CaseReport

TEMPLATE = "reports/case_report.html"
STYLESHEET = "css/report.css"


@cache
def _stylesheet_text() -> str:
    path = finders.find(STYLESHEET)
    if not path:
        raise RuntimeError(f"The report stylesheet static/{STYLESHEET} is missing.")
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def report_html(report: CaseReport) -> str:
    return render_to_string(TEMPLATE, {"report": report})


def weasyprint() -> ModuleType:
    """WeasyPrint, imported on first use (it loads Pango through cffi, which only the report needs).

    Importing it sets Pillow's process-wide `ImageFile.LOAD_TRUNCATED_IMAGES`, which would make every later upload
    in this process accept a truncated photo (`cases/services/image_processing.py` relies on Pillow refusing one).
    The flag is turned off again (uploads also turn it off before decoding); the report only embeds photos that were
    decoded whole when they were uploaded.
    """
    try:
        import weasyprint as module
        import weasyprint.urls  # noqa: F401 - the URL fetcher below
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = False
    return module


def render_pdf(report: CaseReport) -> bytes:
    module = weasyprint()
    fetcher = module.urls.URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)
    document = module.HTML(string=report_html(report), url_fetcher=fetcher, base_url=None)
    return document.write_pdf(stylesheets=[module.CSS(string=_stylesheet_text(), url_fetcher=fetcher)])
