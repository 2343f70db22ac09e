from __future__ import annotations

import hashlib
import io
import json
import re
import tracemalloc
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from PIL import Image

from dermreview.audit.models import AuditEvent
from dermreview.cases.models import CaseStatus, LesionImage
from dermreview.cases.services import upload as upload_module
from dermreview.cases.services.upload import UploadRefused, images_upload
from dermreview.drafting import receivers as drafting_receivers
from dermreview.drafting.models import Draft, DraftStatus
from tests.dermreview.cases.upload_helpers import as_upload, corpus_upload, media_listing
from tests.fixtures import upload_corpus as corpus
from tests.fixtures.upload_corpus import CORPUS, CORPUS_BY_NAME

pytestmark = pytest.mark.django_db

STORED_NAME = re.compile(r"^cases/\d+/[0-9a-f]{32}\.jpg$")
THUMB_NAME = re.compile(r"^cases/\d+/[0-9a-f]{32}-thumb\.jpg$")


def _upload(case, user, *files, capture_type="clinical"):  # noqa: ANN001, ANN002, ANN202
    return images_upload(case=case, user=user, files=list(files), capture_type=capture_type)


def _stored_bytes(image: LesionImage) -> bytes:
    with image.file.open("rb") as handle:
        return handle.read()


@pytest.mark.parametrize("entry", CORPUS, ids=[c.name for c in CORPUS])
def test_upload_corpus_file_gets_expected_outcome(entry, alice, alice_case):
    report = _upload(alice_case, alice, corpus_upload(entry))

    [outcome] = report.files
    assert outcome.code == entry.expected_code, outcome.message
    assert outcome.file in outcome.message  # every message names its file
    if entry.accepted:
        image = LesionImage.objects.get()
        assert outcome.status == "accepted" and outcome.image_id == image.pk
        assert STORED_NAME.match(image.file.name) and THUMB_NAME.match(image.thumbnail.name)
        assert media_listing() == sorted([image.file.name, image.thumbnail.name, image.display.name])
        with Image.open(io.BytesIO(_stored_bytes(image))) as stored:
            assert stored.format == "JPEG" and stored.size == (image.width, image.height)
            assert not stored.getexif() and "icc_profile" not in stored.info and "exif" not in stored.info
        assert image.content_type == "image/jpeg"
        assert image.sha256 == hashlib.sha256(entry.make_bytes()).hexdigest()
        alice_case.refresh_from_db()
        assert alice_case.status == CaseStatus.AWAITING_REVIEW
    else:
        assert outcome.status == "rejected" and outcome.image_id is None
        assert not LesionImage.objects.exists()
        assert media_listing() == []
        alice_case.refresh_from_db()
        assert alice_case.status == CaseStatus.NEW
        event = AuditEvent.objects.get(action="image.upload_rejected")
        assert event.details["codes"] == {entry.expected_code: 1}


def test_upload_strips_gps_camera_and_comment_metadata(alice, alice_case):
    original = corpus.jpeg_with_gps()
    with Image.open(io.BytesIO(original)) as source:  # the corpus file really carries them
        assert source.getexif().get_ifd(corpus.EXIF_GPS_IFD) and b"PhoneMaker" in original

    report = _upload(alice_case, alice, as_upload("IMG_0001.JPG", original))

    [image] = report.accepted
    for stored in (_stored_bytes(image), image.thumbnail.open("rb").read()):
        for marker in (b"Exif", b"GPS", b"PhoneMaker", b"SERIAL-123456", b"Jane Example", b"ICC_PROFILE", b"http://ns.adobe.com"):
            assert marker not in stored
        with Image.open(io.BytesIO(stored)) as decoded:
            assert not decoded.getexif()
            assert not {"exif", "icc_profile", "comment", "xmp"} & set(decoded.info)
    image.thumbnail.close()


def test_upload_applies_exif_orientation(alice, alice_case):
    report = _upload(alice_case, alice, as_upload("rotated.jpg", corpus.jpeg_rotated()))

    [image] = report.accepted
    assert (image.width, image.height) == (10, 20)
    with Image.open(io.BytesIO(_stored_bytes(image))) as stored:
        assert stored.size == (10, 20)
        assert stored.getexif().get(corpus.EXIF_ORIENTATION) is None


def test_upload_with_broken_icc_profile_is_kept_without_the_profile(alice, alice_case):
    data = corpus.jpeg(seed=44, icc_profile=b"not really a colour profile")
    with Image.open(io.BytesIO(data)) as source:
        assert source.info["icc_profile"] == b"not really a colour profile"

    [image] = _upload(alice_case, alice, as_upload("icc.jpg", data)).accepted

    stored = _stored_bytes(image)
    assert b"not really" not in stored and b"ICC_PROFILE" not in stored


def test_upload_polyglot_png_is_stored_as_clean_jpeg_without_html(alice, alice_case):
    original = corpus.png_polyglot()
    assert corpus.HTML_PAYLOAD in original

    [image] = _upload(alice_case, alice, as_upload("polyglot.png", original, "text/html")).accepted

    stored = _stored_bytes(image)
    assert stored.startswith(b"\xff\xd8\xff") and b"<html" not in stored and b"script" not in stored
    assert image.content_type == "image/jpeg"
    # The hash is of what was uploaded, so the same polyglot sent again is recognised as a duplicate.
    assert image.sha256 == hashlib.sha256(original).hexdigest()


def test_upload_decompression_bomb_is_rejected_without_decoding(alice, alice_case):
    bomb = as_upload("bomb.png", corpus.png_bomb_header(30_000, 30_000), "image/png")
    images_before = Image.core.get_stats()["new_count"]
    tracemalloc.start()
    try:
        report = _upload(alice_case, alice, bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    [outcome] = report.rejected
    assert outcome.code == "too_many_pixels" and "not decoded" in outcome.message
    assert peak < 20 * 1024 * 1024, f"peak Python allocation {peak / 1e6:.1f} MB"
    # Pillow allocated no pixel buffer at all: the header was read, the pixels never were.
    assert Image.core.get_stats()["new_count"] == images_before
    assert not LesionImage.objects.exists() and media_listing() == []


def test_upload_pixel_cap_follows_settings(settings, alice, alice_case):
    settings.DERMREVIEW_UPLOAD_MAX_PIXELS = 3000

    report = _upload(alice_case, alice, as_upload("big.jpg", corpus.jpeg(64, 48)))

    [outcome] = report.rejected
    assert outcome.code == "too_many_pixels" and "64×48" in outcome.message
    assert not LesionImage.objects.exists() and media_listing() == []


def test_upload_oversized_file_is_rejected_with_the_limit_named(settings, alice, alice_case):
    settings.DERMREVIEW_UPLOAD_MAX_BYTES = 2048
    data = corpus.jpeg(128, 128)
    assert len(data) > 2048

    report = _upload(alice_case, alice, as_upload("huge.jpg", data), as_upload("small.jpg", corpus.png(8, 8)))

    big, small = report.files
    assert big.status == "rejected" and big.code == "too_large"
    assert big.message == f"huge.jpg: the file is {len(data) / 1024:.3g} KB; the limit is 2 KB per photo."
    assert small.status == "accepted"
    assert LesionImage.objects.count() == 1 and len(media_listing()) == 3


@pytest.mark.parametrize(("raw_name", "shown"), [
    ("../../x.jpg", "x.jpg"),
    ("..\\..\\windows\\x.jpg", "x.jpg"),
    ("lesion\x00.php.jpg", "lesion.php.jpg"),
    ("/etc/passwd", "passwd"),
    ("photo\u202egpj.exe", "photogpj.exe"),
])
def test_upload_hostile_file_name_is_shown_sanitised_and_never_stored(raw_name, shown, alice, alice_case, tmp_path):
    before_outside = sorted(p.name for p in tmp_path.parent.iterdir())

    report = _upload(alice_case, alice, as_upload(raw_name, corpus.jpeg(seed=40)))

    [outcome] = report.files
    assert outcome.status == "accepted" and outcome.file == shown
    image = LesionImage.objects.get()
    media_root = Path(image.file.storage.location).resolve()
    for stored in (image.file, image.thumbnail):
        assert STORED_NAME.match(stored.name) or THUMB_NAME.match(stored.name)
        assert Path(stored.path).resolve().is_relative_to(media_root)
    # Nothing landed next to MEDIA_ROOT or above it, and the name reached neither the database nor the audit.
    assert sorted(p.name for p in tmp_path.parent.iterdir()) == before_outside
    assert sorted(p.name for p in tmp_path.iterdir()) == ["media"]
    assert not list(tmp_path.rglob("x.jpg")) and not list(tmp_path.rglob("*passwd*"))
    audit = json.dumps(list(AuditEvent.objects.values("details")))
    assert "x.jpg" not in audit and "lesion" not in audit and "passwd" not in audit


def test_upload_duplicate_in_a_later_request_is_reported_not_stored(alice, alice_case):
    data = corpus.jpeg(seed=41)
    [first] = _upload(alice_case, alice, as_upload("a.jpg", data)).accepted
    files_before = media_listing()

    report = _upload(alice_case, alice, as_upload("a-again.jpg", data))

    [outcome] = report.files
    assert outcome.status == "duplicate" and outcome.image_id == first.pk
    assert "a-again.jpg" in outcome.message and "already" in outcome.message
    assert LesionImage.objects.count() == 1 and media_listing() == files_before
    assert report.to_dict()["files"][0] == {
        "file": "a-again.jpg", "status": "duplicate", "code": "duplicate", "message": outcome.message,
        "image_id": first.pk,
    }


def test_upload_duplicate_within_one_request_stores_once(alice, alice_case):
    data = corpus.jpeg(seed=42)

    report = _upload(alice_case, alice, as_upload("one.jpg", data), as_upload("two.jpg", data))

    first, second = report.files
    assert first.status == "accepted" and second.status == "duplicate" and second.image_id == first.image_id
    assert LesionImage.objects.count() == 1 and len(media_listing()) == 3


def test_upload_same_photo_may_be_in_two_cases(alice, alice_case, case_factory):
    other = case_factory(organisation=alice.organisation, created_by=alice)
    data = corpus.jpeg(seed=43)

    _upload(alice_case, alice, as_upload("a.jpg", data))
    report = _upload(other, alice, as_upload("a.jpg", data))

    assert len(report.accepted) == 1 and LesionImage.objects.count() == 2


def test_upload_too_many_files_rejects_all_and_stores_nothing(settings, alice, alice_case):
    settings.DERMREVIEW_UPLOAD_MAX_FILES = 2
    files = [as_upload(f"p{i}.jpg", corpus.jpeg(seed=50 + i)) for i in range(3)]

    report = _upload(alice_case, alice, *files)

    assert [o.code for o in report.files] == ["too_many_files"] * 3
    assert "limit is 2" in report.files[0].message
    assert not LesionImage.objects.exists() and media_listing() == []


def test_upload_mixed_request_keeps_accepted_and_audits_without_file_names(alice, alice_case):
    report = _upload(
        alice_case, alice,
        as_upload("good-patient-smith.jpg", corpus.jpeg(seed=60)),
        as_upload("page.jpg", corpus.html_as_jpeg()),
        as_upload("cut.jpg", corpus.jpeg_truncated()),
    )

    assert [o.status for o in report.files] == ["accepted", "rejected", "rejected"]
    image = LesionImage.objects.get()
    assert media_listing() == sorted([image.file.name, image.thumbnail.name, image.display.name])
    upload_event = AuditEvent.objects.get(action="image.upload")
    assert upload_event.object_id == str(image.pk) and upload_event.case_id == alice_case.pk
    assert upload_event.details == {"sha256": image.sha256, "capture_type": "clinical", "width": 64, "height": 48}
    summary = AuditEvent.objects.get(action="image.upload_rejected")
    assert summary.details == {"rejected": 2, "duplicates": 0, "codes": {"corrupt": 1, "unsupported_type": 1}}
    everything = json.dumps(list(AuditEvent.objects.values("details")))
    assert "smith" not in everything and "page.jpg" not in everything and "cut.jpg" not in everything
    assert report.to_dict()["accepted"] == 1 and report.to_dict()["rejected"] == 2


def test_upload_moves_case_from_needs_new_photo_back_to_awaiting_review(alice, case_factory):
    case = case_factory(organisation=alice.organisation, created_by=alice, status=CaseStatus.NEEDS_NEW_PHOTO)

    _upload(case, alice, as_upload("new.jpg", corpus.jpeg(seed=61)))

    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_REVIEW
    assert AuditEvent.objects.filter(action="case.transition", details__to="awaiting_review").exists()


def test_upload_keeps_status_of_case_already_awaiting_review(alice, case_factory):
    case = case_factory(organisation=alice.organisation, created_by=alice, status=CaseStatus.AWAITING_REVIEW)

    _upload(case, alice, as_upload("more.jpg", corpus.jpeg(seed=62)))

    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_REVIEW and LesionImage.objects.count() == 1


@pytest.mark.parametrize("status", [CaseStatus.FINAL, CaseStatus.NEEDS_SECOND_REVIEW])
def test_upload_refused_when_case_no_longer_accepts_photos(status, alice, case_factory):
    case = case_factory(organisation=alice.organisation, created_by=alice, status=status)

    with pytest.raises(UploadRefused) as refused:
        _upload(case, alice, as_upload("late.jpg", corpus.jpeg(seed=63)))

    assert refused.value.code == "case_closed" and "no longer accepts photos" in refused.value.message
    assert not LesionImage.objects.exists() and media_listing() == []


def test_upload_queues_an_ai_draft_per_accepted_image(alice, alice_case):
    report = _upload(alice_case, alice, as_upload("a.jpg", corpus.jpeg(seed=64)), as_upload("b.png", corpus.png(seed=65)))

    drafts = Draft.objects.filter(image__in=report.accepted)
    assert drafts.count() == 2 and set(drafts.values_list("status", flat=True)) == {DraftStatus.QUEUED}


def test_upload_records_dermoscopic_capture_type(alice, alice_case):
    [image] = _upload(alice_case, alice, as_upload("d.jpg", corpus.jpeg(seed=66)), capture_type="dermoscopic").accepted
    assert image.capture_type == "dermoscopic" and image.uploaded_by == alice


def test_upload_rejects_unknown_capture_type(alice, alice_case):
    with pytest.raises(UploadRefused) as refused:
        _upload(alice_case, alice, as_upload("d.jpg", corpus.jpeg(seed=67)), capture_type="<script>")
    assert refused.value.code == "invalid_capture_type" and "clinical, dermoscopic" in refused.value.message
    assert not LesionImage.objects.exists()


def test_upload_without_files_is_refused(alice, alice_case):
    with pytest.raises(UploadRefused) as refused:
        _upload(alice_case, alice)
    assert refused.value.code == "no_files"


@pytest.mark.parametrize("persona", ["bob", "carol"])
def test_upload_by_reviewer_or_auditor_is_denied(persona, request, alice_case):
    user = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        _upload(alice_case, user, as_upload("x.jpg", corpus.jpeg(seed=68)))
    assert not LesionImage.objects.exists() and media_listing() == []


def test_upload_to_another_clinics_case_is_not_found(mallory, alice_case):
    with pytest.raises(Http404):
        _upload(alice_case, mallory, as_upload("x.jpg", corpus.jpeg(seed=69)))
    assert not LesionImage.objects.exists() and media_listing() == []


def test_upload_insert_race_leaves_one_row_and_no_orphan_files(monkeypatch, alice, alice_case, image_factory):
    """Another request stores the same photo between our duplicate check and our insert."""
    data = corpus.jpeg(seed=70)
    real_clean = upload_module.image_clean
    rival: list[LesionImage] = []

    def clean_then_rival_inserts(**kwargs):  # noqa: ANN003, ANN202
        result = real_clean(**kwargs)
        rival.append(image_factory(case=alice_case, sha256=hashlib.sha256(data).hexdigest()))
        return result

    monkeypatch.setattr(upload_module, "image_clean", clean_then_rival_inserts)

    report = _upload(alice_case, alice, as_upload("race.jpg", data))

    [outcome] = report.files
    assert outcome.status == "duplicate" and outcome.image_id == rival[0].pk
    assert LesionImage.objects.count() == 1
    assert media_listing() == sorted([rival[0].file.name, rival[0].thumbnail.name])


def test_upload_failure_after_files_written_removes_them(monkeypatch, alice, alice_case):
    def broken_drafting(**kwargs):  # noqa: ANN003, ANN202
        raise RuntimeError("drafting unavailable")

    monkeypatch.setattr(drafting_receivers, "drafts_create_for_images", broken_drafting)

    with pytest.raises(RuntimeError):
        _upload(alice_case, alice, as_upload("a.jpg", corpus.jpeg(seed=71)), as_upload("b.jpg", corpus.jpeg(seed=72)))

    assert not LesionImage.objects.exists() and media_listing() == []
    alice_case.refresh_from_db()
    assert alice_case.status == CaseStatus.NEW


def test_upload_report_to_dict_is_json_safe(alice, alice_case):
    report = _upload(alice_case, alice, corpus_upload(CORPUS_BY_NAME["valid_jpeg"]),
                     corpus_upload(CORPUS_BY_NAME["html_renamed_jpg"]))

    payload = json.loads(json.dumps(report.to_dict()))

    assert payload["case_id"] == alice_case.pk and payload["case_status"] == "awaiting_review"
    assert [f["status"] for f in payload["files"]] == ["accepted", "rejected"]
    assert payload["files"][1]["code"] == "unsupported_type" and payload["files"][1]["image_id"] is None
    assert set(payload["files"][0]) == {"file", "status", "code", "message", "image_id"}


def test_a_truncated_jpeg_is_refused_even_after_a_library_turned_pillows_padding_on(alice, alice_case):
    # WeasyPrint (the PDF report) turns Pillow's process-wide LOAD_TRUNCATED_IMAGES on when imported.
    from PIL import ImageFile

    ImageFile.LOAD_TRUNCATED_IMAGES = True
    try:
        report = _upload(alice_case, alice, as_upload("cut.jpg", corpus.jpeg_truncated()))
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = False
    assert [f.status for f in report.files] == ["rejected"] and report.files[0].code == "corrupt"
    assert not alice_case.images.exists()
