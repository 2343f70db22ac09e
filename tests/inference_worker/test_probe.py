"""The probe: its own reading of reply shapes, its summary, and a run on the tiny model over synthetic photos."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inference_worker.engines.base import DraftOrigin, ItemMetrics, draft_from_reply
from inference_worker.evaluation.reply_shape import OTHER_KEY, inspect_reply, summarise_shapes
from inference_worker.identity import ModelIdentity
from inference_worker.probe import main
from inference_worker.profile import available_profiles, load_profile
from inference_worker.testing.synthetic_lesions import write_fixture
from tests.inference_worker.tiny_settings import TINY_MAX_PIXELS, TINY_MIN_PIXELS

FENCED = '```json\n{"Lesion Type": "naevus", "Colour": ["brown", "tan"], "size": 4}\n```'
PROSE = 'Here is the finding: {"lesion_type": "naevus", "summary": {"text": "x"}} Hope this helps.'


def test_inspect_reply_reads_fence_prose_keys_and_value_types() -> None:
    fenced, prose = inspect_reply(FENCED), inspect_reply(PROSE)

    assert (fenced.fenced, fenced.prose, fenced.has_object) == (True, False, True)
    assert fenced.keys == ("Lesion Type", "Colour", "size")
    assert fenced.value_types == ("string", "list", "number")
    assert (prose.fenced, prose.prose) == (False, True)
    assert prose.value_types == ("string", "object")


@pytest.mark.parametrize(
    ("text", "problem"),
    [("no JSON at all", "no '{'"), ('{"lesion_type": "naev', "not JSON from the first '{'"), ("", "no '{'")],
)
def test_inspect_reply_says_why_there_is_no_object(text: str, problem: str) -> None:
    shape = inspect_reply(text)

    assert not shape.has_object and problem in shape.problem


def test_summarise_shapes_groups_spellings_by_field_and_counts_habits() -> None:
    profile = load_profile("unsloth")
    origin = DraftOrigin(ModelIdentity("m", "r", profile.prompt_version, "transformers"), batch_size=1,
                         profile=profile)
    fields = ", ".join(f'"{key}": "x"' for key in ("Lesion Type", "Colour", "symmetry", "borders", "texture"))
    replies = [FENCED, PROSE, "{" + fields + ', "summary": "y"}', "{" + fields + ', "Summary": ["a", "b"]}']
    drafts = [draft_from_reply(str(i), text, hit_token_limit=False, origin=origin,
                               metrics=ItemMetrics(output_tokens=10 * (i + 1))) for i, text in enumerate(replies)]

    summary = summarise_shapes(drafts, [inspect_reply(d.raw_text) for d in drafts], profile.field_for_key)

    assert (summary.replies, summary.parseable, summary.objects, summary.fenced, summary.prose) == (4, 2, 4, 1, 1)
    assert summary.spellings["lesion_type"] == {"Lesion Type": 3, "lesion_type": 1}
    assert summary.spellings["color"] == {"Colour": 3}
    assert summary.spellings[OTHER_KEY] == {"size": 1}
    assert summary.value_types["summary"] == {"object": 1, "string": 1, "list": 1}
    assert summary.key_orders["lesion_type, color, symmetry, borders, texture, summary"] == 2
    assert summary.mean_tokens == 25.0
    assert summary.failures == {"schema_invalid": 2}
    assert json.dumps(summary.as_data())  # plain JSON data


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("probe-photos")
    write_fixture(folder, count=3, seed=4, size=96)
    return folder


def _tiny(tiny_model_dir: Path, photos: Path, tokens: int) -> list[str]:
    return ["--model", str(tiny_model_dir), "--images", str(photos), "--device", "cpu", "--min-pixels",
            str(TINY_MIN_PIXELS), "--max-pixels", str(TINY_MAX_PIXELS), "--max-new-tokens", str(tokens)]


def test_probe_prints_replies_and_a_row_per_profile(
    tiny_model_dir: Path, photos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "probe.json"

    assert main([*_tiny(tiny_model_dir, photos, 24), "--json", str(out)]) == 0

    printed = capsys.readouterr().out
    profiles = available_profiles()
    assert {"card", "unsloth"} <= set(profiles)
    for profile in profiles:
        assert f"== profile {profile}, decoding free" in printed
        assert any(line.split()[:3] == [profile, "free", "3"] for line in printed.splitlines())
    assert printed.count("[lesion-0002.png] 24 tokens") == len(profiles)
    assert "-> failure truncated" in printed  # free decoding: the random model never closes an object
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [c["profile"] for c in data["combinations"]] == list(profiles)
    assert all(len(c["replies"]) == 3 and c["summary"]["mean_tokens"] == 24 for c in data["combinations"])


def test_probe_under_schema_decoding_shows_the_key_spellings(
    tiny_model_dir: Path, photos: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*_tiny(tiny_model_dir, photos, 128), "--profile", "unsloth", "--decoding", "schema",
                 "--limit", "1"]) == 0

    printed = capsys.readouterr().out
    assert "unsloth      schema         1    100%    100%" in printed
    assert "key orders: [lesion_type, color, symmetry, borders, texture, summary] x1" in printed
    assert "-> finding {" in printed


def test_probe_exits_2_on_a_bad_folder_or_profile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = ["--model", str(tmp_path / "none")]

    assert main([*model, "--images", str(tmp_path / "missing")]) == 2
    assert "no such folder" in capsys.readouterr().err
    assert main([*model, "--images", str(tmp_path)]) == 2
    assert "no photos" in capsys.readouterr().err
    assert main([*model, "--images", str(tmp_path), "--profile", "nonesuch"]) == 2
    assert "DERMREVIEW_PROMPT" in capsys.readouterr().err
