"""The review page's weight for a browser with a cache, and the keys a keyboard-only sign-off takes.

1. Migrates a fresh SQLite database under a temporary DERMREVIEW_VAR_DIR (the test settings) and creates a clinic,
   a clinician and a reviewer (with a real TOTP authenticator).
2. Makes five 12-megapixel phone-like JPEGs with Pillow (4000x3000: gradients, skin-like blotches and sensor noise,
   so they compress like photos: several MB each) and stores them through the real upload service
   (`images_upload`), which makes each photo's display derivative and thumbnail. Their queued AI drafts are marked
   ready with a fixed finding (no model runs here).
3. Serves the app in-process over real HTTP (a threaded WSGI server with the static-files handler, as
   `runserver` does) and, with a session the Django test client logged in (force_login plus a verified second
   factor, as tests/conftest.py does), claims the case ("Start review", a POST) and fetches the claimed review
   page and every image, stylesheet and script it references, like a browser with a cache:
   * first visit: empty cache, every body counted;
   * repeat visit: a resource still fresh under its Cache-Control max-age is not requested at all; a stale one is
     revalidated with If-None-Match / If-Modified-Since (a 304 counts 0 bytes); `no-store` ones are fetched again.
   * revalidating visit (printed for information): the same after every max-age has run out, so each cached
     resource is asked for again and must come back as a 304.
   Bytes are response bodies as transferred (headers not counted).
4. Drives the claimed review page of a second one-photo case in Debian's Chromium (Playwright, never a downloaded
   browser) and counts the keys pressed from landing on the claimed page to the signed confirmation: the
   shortcuts of static/js/review_keys.js (Alt+C confirms a field and moves on), then Tab to the attestation,
   Space, Tab to "Sign finding", Enter. Each key press or chord counts one.

Ends with ``review_page_first_bytes=``, ``review_page_repeat_bytes=`` and ``keys_to_sign=`` lines. Goals: first visit
under 3 MB, repeat under 150 KB, fewer than 20 keys; exits 1 when one is missed.

Usage: ``python bench/review_page.py [--photos 5] [--no-browser]``
"""

from __future__ import annotations

import argparse
import io
import os
import re
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))  # run as a plain script from a checkout

FIRST_BOUND = 3 * 1024 * 1024
REPEAT_BOUND = 150 * 1024
KEYS_BOUND = 20
CHROMIUM = os.environ.get("DERMREVIEW_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "correct horse battery staple"
FIELDS = ("lesion_type", "color", "symmetry", "borders", "texture", "summary")
FINDING = {"lesion_type": "benign melanocytic nevus", "color": "uniform light brown", "symmetry": "symmetric",
           "borders": "regular, well defined", "texture": "smooth", "summary": "Benign-appearing nevus."}


def phone_photo(width: int = 4000, height: int = 3000, *, seed: int = 0) -> bytes:
    """A JPEG that compresses like a phone photo: lit skin (gradients), a darker lesion, blotches and sensor noise."""
    from PIL import Image, ImageChops, ImageDraw, ImageFilter

    ramp = Image.linear_gradient("L").resize((width, height))
    across = Image.linear_gradient("L").rotate(90).resize((width, height))
    base = [ImageChops.add(ramp, across, 2.4 + 0.2 * i, 40 + 30 * (2 - i) + seed % 7) for i in range(3)]
    lesion = Image.new("L", (width, height), 0)
    ImageDraw.Draw(lesion).ellipse((width * 0.36, height * 0.32, width * 0.62, height * 0.7), fill=110)
    lesion = lesion.filter(ImageFilter.GaussianBlur(60))
    channels = []
    for index, channel in enumerate(base):
        blotch = Image.effect_noise((width // 24, height // 24), 30 + index).resize((width, height),
                                                                                  Image.Resampling.BICUBIC)
        grain = Image.effect_noise((width, height), 9)
        channel = ImageChops.subtract(channel, lesion, 1.0, 0)
        channel = ImageChops.add(channel, blotch, 1.0, -128)
        channels.append(ImageChops.add(channel, grain, 1.0, -128))
    buffer = io.BytesIO()
    Image.merge("RGB", channels).save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


def _setup_django(var_dir: Path) -> None:
    os.environ["DERMREVIEW_VAR_DIR"] = str(var_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "dermreview.settings.testing"
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop runs in this thread
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    import logging

    import django
    from django.core.management import call_command

    logging.getLogger("httpx").setLevel(logging.WARNING)

    django.setup()
    call_command("migrate", verbosity=0)


def _people() -> tuple[Any, Any]:
    from tests.factories import OrganisationFactory, UserFactory

    clinic = OrganisationFactory(name="Bench Dermatology", slug="bench")
    return (UserFactory(username="clin", organisation=clinic, roles=["clinician"]),
            UserFactory(username="rev", organisation=clinic, roles=["reviewer"]))


def _case_with_photos(clinician: Any, photos: list[bytes]) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from dermreview.cases.services.upload import images_upload
    from dermreview.drafting.models import Draft, DraftStatus
    from tests.factories import CaseFactory

    case = CaseFactory(organisation=clinician.organisation, created_by=clinician)
    files = [SimpleUploadedFile(f"IMG_{i:04d}.jpg", data, content_type="image/jpeg") for i, data in enumerate(photos)]
    report = images_upload(case=case, user=clinician, files=files, capture_type="clinical")
    assert len(report.accepted) == len(photos), [o.message for o in report.files]
    # No model runs here: the queued drafts become ready with a fixed finding.
    Draft.objects.filter(image__case=case).update(status=DraftStatus.READY, model_id="bench/model",
                                                  model_revision="main", prompt_version="bench-1", **FINDING)
    case.refresh_from_db()
    return case


class _Server:
    """The app over real HTTP in a thread, static files included (as `runserver` serves them)."""

    def __init__(self) -> None:
        from django.contrib.staticfiles.handlers import StaticFilesHandler
        from django.core.handlers.wsgi import WSGIHandler
        from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

        class Quiet(WSGIRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadedWSGIServer(("127.0.0.1", 0), Quiet, allow_reuse_address=False)
        self.httpd.set_app(StaticFilesHandler(WSGIHandler()))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _Resources(HTMLParser):
    """The URLs a browser fetches for a page: images, stylesheets, scripts (not links the user may follow)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in {"img", "script"} and values.get("src"):
            self.urls.append(values["src"] or "")
        elif tag == "link" and "stylesheet" in (values.get("rel") or "") and values.get("href"):
            self.urls.append(values["href"] or "")


@dataclass
class _Cached:
    etag: str | None
    last_modified: str | None
    fresh_until: float
    store: bool


class _Browser:
    """An HTTP client with a private cache that follows Cache-Control as a browser does."""

    def __init__(self, base: str, cookies: dict[str, str]) -> None:
        import httpx

        self.http = httpx.Client(base_url=base, cookies=cookies, follow_redirects=False, timeout=60)
        self.cache: dict[str, _Cached] = {}
        self.log: list[tuple[str, int, int]] = []

    def get(self, url: str) -> tuple[int, bytes]:
        entry = self.cache.get(url)
        if entry is not None and entry.store and time.time() < entry.fresh_until:
            self.log.append((url, 0, 0))  # fresh in the cache: no request at all
            return 0, b""
        headers = {}
        if entry is not None and entry.store:
            if entry.etag:
                headers["If-None-Match"] = entry.etag
            if entry.last_modified:
                headers["If-Modified-Since"] = entry.last_modified
        response = self.http.get(url, headers=headers)
        self.log.append((url, response.status_code, len(response.content)))
        self._remember(url, response)
        return response.status_code, response.content

    def _remember(self, url: str, response: Any) -> None:
        control = response.headers.get("Cache-Control", "").lower()
        if response.status_code not in {200, 304} or "no-store" in control:
            self.cache.pop(url, None)
            return
        max_age = re.search(r"max-age=(\d+)", control)
        fresh = int(max_age.group(1)) if max_age and "no-cache" not in control else 0
        old = self.cache.get(url)
        self.cache[url] = _Cached(
            etag=response.headers.get("ETag") or (old.etag if old else None),
            last_modified=response.headers.get("Last-Modified") or (old.last_modified if old else None),
            fresh_until=time.time() + fresh, store=True,
        )

    def visit(self, path: str) -> int:
        """The page and everything it references; the body bytes transferred."""
        start = len(self.log)
        status, body = self.get(path)
        assert status == 200, f"{path}: {status}"
        parser = _Resources()
        parser.feed(body.decode())
        for url in dict.fromkeys(parser.urls):
            self.get(urljoin(path, url))
        return sum(size for _, _, size in self.log[start:])


def _logged_in_cookies(user: Any) -> dict[str, str]:
    from django.conf import settings
    from django.test import Client

    from tests.mfa import verify_session

    client = Client()
    client.force_login(user)
    verify_session(client, user)  # the second factor, passed the way django_otp.login marks it
    return {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}


def measure_page(server: _Server, reviewer: Any, case: Any) -> tuple[int, int, int, list[tuple[str, int, int]]]:
    from django.urls import reverse

    browser = _Browser(server.url, _logged_in_cookies(reviewer))
    csrf = browser.http.get(reverse("review:case", args=[case.pk]))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', csrf.text)
    assert token, "no Start review form on the page"
    claimed = browser.http.post(reverse("review:claim", args=[case.pk]),
                                data={"csrfmiddlewaretoken": token.group(1)},
                                headers={"Referer": server.url + reverse("review:case", args=[case.pk])})
    assert claimed.status_code in {302, 303}, claimed.status_code
    browser.cache.clear()  # the claim's own page load is not the visit measured
    page = reverse("review:case", args=[case.pk])
    first = browser.visit(page)
    first_log = list(browser.log)
    repeat = browser.visit(page)
    repeat_end = len(browser.log)
    for entry in browser.cache.values():
        entry.fresh_until = 0.0  # every max-age has run out: the browser revalidates
    revalidate = browser.visit(page)
    return first, repeat, revalidate, (first_log + [("-- repeat --", 0, 0)] + browser.log[len(first_log):repeat_end]
                                       + [("-- revalidate --", 0, 0)] + browser.log[repeat_end:])


def _press(page: Any, counter: list[int], key: str) -> None:
    page.keyboard.press(key)
    counter[0] += 1


def _focused(page: Any, selector: str) -> bool:
    return bool(page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector))


def _tab_to(page: Any, counter: list[int], selector: str, limit: int = 60) -> None:
    for _ in range(limit):
        if _focused(page, selector):
            return
        _press(page, counter, "Tab")
    raise AssertionError(f"Tab never reached {selector}")


def count_keys(server: _Server, reviewer: Any, case: Any) -> int:
    from playwright.sync_api import sync_playwright

    from dermreview.review.models import Review
    from tests.mfa import authenticator_for, totp_code

    keys = [0]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900}).new_page()
        page.set_default_timeout(20_000)
        page.goto("/accounts/login/")
        page.fill("#id_username", reviewer.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/login" not in url)
        page.fill("#id_code", totp_code(authenticator_for(reviewer)))
        page.click("main button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/mfa/" not in url)
        page.goto(f"/review/cases/{case.pk}/")
        page.locator("#start-review-button").click()  # the claim: before the counted part
        page.locator("#sign-form").wait_for()
        # --- counted: from the claimed page to the signed confirmation -----------------------------------------
        shortcuts = page.evaluate("!!document.querySelector('script[src*=\"review_keys\"]')")
        for field in FIELDS:
            box = f".finding-field[data-field={field}] .confirm input"
            if shortcuts:
                _press(page, keys, "Alt+c")
            else:
                _tab_to(page, keys, box)
                _press(page, keys, "Space")
            assert page.locator(box).is_checked(), f"{field} not confirmed"
        _tab_to(page, keys, "input[name=attestation]")
        _press(page, keys, "Space")
        _tab_to(page, keys, "#sign-button")
        with page.expect_navigation():
            _press(page, keys, "Enter")
        page.wait_for_load_state()
        browser.close()
    assert Review.objects.filter(case=case, reviewer=reviewer).exists(), "no signed review"
    return keys[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=5)
    parser.add_argument("--no-browser", action="store_true", help="skip the keyboard count (no Chromium)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dermreview-bench-") as tmp:
        _setup_django(Path(tmp))
        clinician, reviewer = _people()
        started = time.perf_counter()
        photos = [phone_photo(seed=i) for i in range(args.photos)]
        print(f"photos: {args.photos} x 4000x3000, {sum(map(len, photos)) / 1e6:.1f} MB "
              f"({', '.join(f'{len(p) / 1e6:.1f}' for p in photos)} MB), made in {time.perf_counter() - started:.1f}s")
        case = _case_with_photos(clinician, photos)
        sign_case = _case_with_photos(clinician, [phone_photo(seed=99)])
        server = _Server()
        try:
            first, repeat, revalidate, log = measure_page(server, reviewer, case)
            for url, status, size in log:
                print(f"  {status or 'cached':>6} {size:>10,d}  {url}")
            keys = None if args.no_browser else count_keys(server, reviewer, sign_case)
        finally:
            server.stop()
    print(f"review_page_revalidate_bytes={revalidate}")
    print(f"review_page_first_bytes={first}")
    print(f"review_page_repeat_bytes={repeat}")
    print(f"keys_to_sign={keys if keys is not None else 'not measured'}")
    missed = first >= FIRST_BOUND or repeat >= REPEAT_BOUND or (keys is not None and keys >= KEYS_BOUND)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
