from __future__ import annotations

import pytest

from dermreview.cases.services.image_processing import display_name, sniff_format
from tests.fixtures import upload_corpus as corpus


@pytest.mark.parametrize(("raw", "shown"), [
    ("lesion.jpg", "lesion.jpg"),
    ("../../x.jpg", "x.jpg"),
    ("C:\\Users\\jane\\Desktop\\mole.jpg", "mole.jpg"),
    ("a\x00b\x07c.jpg", "abc.jpg"),
    ("evil\u202egpj.exe", "evilgpj.exe"),
    ("zero\u200bwidth.png", "zerowidth.png"),
    ("line\nbreak.jpg", "linebreak.jpg"),
    ("  spaced   out .jpg ", "spaced out .jpg"),
    ("../..", "(unnamed file)"),
    ("", "(unnamed file)"),
    (None, "(unnamed file)"),
])
def test_display_name_strips_paths_and_invisible_characters(raw, shown):
    assert display_name(raw) == shown


def test_display_name_truncates_long_names_keeping_the_extension():
    shown = display_name("a" * 300 + ".jpeg")
    assert len(shown) == 80 and shown.endswith("….jpeg")


@pytest.mark.parametrize(("data", "kind"), [
    (corpus.jpeg(), "JPEG"),
    (corpus.png(), "PNG"),
    (corpus.webp(), "WEBP"),
    (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "HEIF"),
    (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic", "HEIF"),
    (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf", None),
    (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom", None),
    (corpus.gif(), None),
    (corpus.html_as_jpeg(), None),
    (b"", None),
])
def test_sniff_format_decides_from_content(data, kind):
    assert sniff_format(data) == kind
