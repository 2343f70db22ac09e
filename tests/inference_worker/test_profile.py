"""Prompt profiles: the built-ins, loading by name or path, strict validation, and the derived prompt version."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from inference_worker import WorkerConfig, available_profiles, load_profile, model_identity
from inference_worker.fields import FINDING_FIELDS
from inference_worker.profile import BUILTIN_DIR, normalise_key

CARD = BUILTIN_DIR / "card.toml"
_VERSION = re.compile(r"^[a-z0-9_-]+@[A-Za-z0-9._-]+\+[0-9a-f]{6}$")


def _copy(tmp_path: Path, text: str | None = None, name: str = "mine.toml") -> Path:
    path = tmp_path / name
    path.write_text(CARD.read_text(encoding="utf-8") if text is None else text, encoding="utf-8")
    return path


def _edited(tmp_path: Path, old: str, new: str) -> Path:
    text = CARD.read_text(encoding="utf-8")
    assert old in text, old
    return _copy(tmp_path, text.replace(old, new, 1))


def test_profile_builtins_are_card_and_unsloth() -> None:
    assert available_profiles() == ("card", "unsloth")
    card, unsloth = load_profile("card"), load_profile("unsloth")
    assert (card.image_position, card.max_visual_tokens, card.max_pixels) == ("before", 512, 512 * 32 * 32)
    assert (unsloth.image_position, unsloth.max_visual_tokens, unsloth.max_pixels) == ("after", 256, 256 * 32 * 32)
    for profile in (card, unsloth):
        assert sorted(profile.order) == sorted(FINDING_FIELDS)
        assert _VERSION.match(profile.prompt_version) and len(profile.prompt_version) <= 32
        assert profile.prompt_version_for("schema") == profile.prompt_version + "/schema"
    assert card.prompt_version != unsloth.prompt_version


def test_profile_card_asks_for_the_clinical_classification_as_a_suggestion() -> None:
    text = load_profile("card").instruction
    for example in ("melanoma", "nevus", "basal cell carcinoma", "seborrhoeic keratosis"):
        assert example in text
    assert "suggestion" in text and "not a diagnosis" in text
    assert "morphological" not in text.lower()


def test_profile_loads_by_path_with_the_same_version_as_the_same_content(tmp_path: Path) -> None:
    copied = load_profile(str(_copy(tmp_path)))
    assert copied.prompt_version == load_profile("card").prompt_version
    assert copied.source == str(tmp_path / "mine.toml")
    assert WorkerConfig(prompt_profile=str(tmp_path / "mine.toml")).profile == copied


def test_profile_text_edit_without_version_bump_changes_the_version(tmp_path: Path) -> None:
    original = load_profile("card")
    edited = load_profile(str(_edited(tmp_path, "You are assisting a dermatologist.", "You assist a dermatologist.")))
    assert (edited.name, edited.version) == (original.name, original.version)
    assert edited.prompt_version != original.prompt_version


def test_profile_comments_and_formatting_do_not_change_the_version(tmp_path: Path) -> None:
    text = "# a note for operators\n\n" + CARD.read_text(encoding="utf-8").replace('version = "1"', 'version   =   "1"')
    assert load_profile(str(_copy(tmp_path, text))).prompt_version == load_profile("card").prompt_version


def test_profile_an_edited_file_is_read_again(tmp_path: Path) -> None:
    path = _copy(tmp_path)
    first = load_profile(str(path))
    assert load_profile(str(path)) is first  # cached while unchanged
    path.write_text(path.read_text(encoding="utf-8").replace('version = "1"', 'version = "2"'), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert load_profile(str(path)).version == "2"


def test_profile_decides_the_identity_prompt_version(tmp_path: Path) -> None:
    identity = model_identity(WorkerConfig(model="org/model", prompt_profile="unsloth", decoding="json"))
    assert identity.prompt_version == load_profile("unsloth").prompt_version + "/json"
    assert len(identity.prompt_version) <= 40


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ('layout = "indented"', 'layout = "indented"\ntemperature = 0.2', "unknown key(s) temperature"),
        ('layout = "indented"\n', "", "missing key(s) layout"),
        ('image_position = "before"', 'image_position = "left"', "image_position 'left'"),
        ('layout = "indented"', 'layout = "pretty"', "layout 'pretty'"),
        ("max_visual_tokens = 512", 'max_visual_tokens = "512"', "max_visual_tokens must be a whole number"),
        ("max_visual_tokens = 512", "max_visual_tokens = true", "max_visual_tokens must be a whole number"),
        ("max_visual_tokens = 512", "max_visual_tokens = 1", "max_visual_tokens must be between"),
        ("list_values = false", 'list_values = "no"', "list_values must be a boolean"),
        ('name = "card"', 'name = "a-profile-name-far-too-long"', "name 'a-profile-name-far-too-long'"),
        ('"texture", "summary"]', '"summary"]', "order must list each of"),
        ('texture = { write = "texture", aliases = ["Texture"] }\n', "", "[keys] has no table for texture"),
        ('symmetry = { write = "symmetry", aliases = ["Symmetry"] }',
         'symmetry = { write = "symmetry", aliases = ["Symmetry"] }\ndiagnosis = { write = "diagnosis" }',
         "[keys] has unknown field(s) diagnosis"),
        ('aliases = ["Texture"]', 'aliases = ["Texture"], weight = 2', "texture has unknown key(s) weight"),
        ('aliases = ["Texture"]', 'aliases = ["Texture", "Colour"]', "'Colour' is claimed by both color and texture"),
        ('aliases = ["Texture"]', 'aliases = ["Tex\\"ture"]', "texture.aliases must be"),
        ('write = "texture"', 'write = "surface_feel"', "instruction never names the key(s) it asks for: surface_feel"),
        ('name = "card"', 'name = "card', "not valid TOML"),
    ],
)
def test_profile_invalid_file_names_the_variable_file_and_problem(
    tmp_path: Path, old: str, new: str, problem: str
) -> None:
    path = _edited(tmp_path, old, new)
    with pytest.raises(ValueError) as raised:
        load_profile(str(path))
    message = str(raised.value)
    assert message.startswith(f"DERMREVIEW_PROMPT={str(path)!r} is invalid: {path}: ")
    assert problem in message


def test_profile_unknown_builtin_or_missing_file_fails_naming_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"DERMREVIEW_PROMPT='nope' is invalid: no built-in prompt profile 'nope' "
                                         r"\(built-ins: card, unsloth\)"):
        load_profile("nope")
    with pytest.raises(ValueError, match=r"DERMREVIEW_PROMPT=.*is invalid: cannot read"):
        load_profile(str(tmp_path / "absent.toml"))
    with pytest.raises(ValueError, match="DERMREVIEW_PROMPT='nope' is invalid"):
        WorkerConfig.from_env({"DERMREVIEW_PROMPT": "nope"})


def test_profile_builtin_files_are_named_after_their_profile(tmp_path: Path) -> None:
    for name in available_profiles():
        assert load_profile(name).name == name
    # A file elsewhere may reuse a built-in's name; its content hash still tells the two apart.
    shutil.copy(CARD, tmp_path / "unsloth.toml")
    assert load_profile(str(tmp_path / "unsloth.toml")).name == "card"


@pytest.mark.parametrize(
    ("key", "normalised"),
    [("Lesion Type", "lesion_type"), ("lesionType", "lesion_type"), ("LESION-TYPE", "lesion_type"),
     (" lesion__type ", "lesion_type"), ("Colour", "colour"), ("clinicalSummary", "clinical_summary")],
)
def test_profile_normalise_key(key: str, normalised: str) -> None:
    assert normalise_key(key) == normalised


def test_profile_maps_alias_spellings_to_fields() -> None:
    card = load_profile("card")
    assert card.field_for_key("Colour") == "color"
    assert card.field_for_key("Lesion Type") == "lesion_type"
    assert card.field_for_key("BORDER") == "borders"
    assert card.field_for_key("diagnosis") is None
