"""The evaluation harness: labels files it refuses with a clear message, and a full run on the tiny model with the
real BERTScore scorer (the tiny model's fields are junk, so the run is checked for structure, counts and the
scores the real scorer gives, not for quality)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inference_worker.evaluate import main
from inference_worker.evaluation.card import CARD_BERTSCORE_F1
from inference_worker.evaluation.harness import PhotoOutcome, ScorerInfo, summarise
from inference_worker.evaluation.labels import LabelsError, read_labels
from inference_worker.evaluation.lesion_classes import builtin_vocabulary
from inference_worker.evaluation.report import format_report
from inference_worker.fields import FINDING_FIELDS
from inference_worker.testing.synthetic_lesions import write_fixture
from tests.inference_worker.tiny_settings import TINY_MAX_NEW_TOKENS, TINY_MAX_PIXELS, TINY_MIN_PIXELS

HEADER = "image,lesion_type,color,symmetry,borders,texture,summary\n"
ROW = "{image},melanoma,brown,asymmetric,irregular,smooth,A lesion.\n"


@pytest.fixture(scope="module")
def fixture_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("lesions")
    write_fixture(folder, count=4, seed=2, size=96)
    return folder


def _refusal(labels: Path, images: Path) -> str:
    with pytest.raises(LabelsError) as caught:
        read_labels(labels, images)
    return str(caught.value)


def test_labels_missing_photo_named_by_line_and_column(fixture_dir: Path, tmp_path: Path) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_text(HEADER + ROW.format(image="lesion-0000.png") + ROW.format(image="gone.png"), encoding="utf-8")

    message = _refusal(labels, fixture_dir)

    assert message.startswith(f"{labels}, line 3, column 1 ('image'): no photo at ")
    assert message.endswith("gone.png")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("image,lesion_type,color\nlesion-0000.png,a,b\n",
         "line 1: the header has no column 'symmetry', 'borders', 'texture', 'summary'"),
        (HEADER + "lesion-0000.png,melanoma,brown,,irregular,smooth,A lesion.\n", "line 2, column 4 ('symmetry'): empty"),
        (HEADER + ROW.format(image="lesion-0000.png") * 2, "line 3, column 1 ('image'): 'lesion-0000.png' is already "
                                                           "on line 2"),
        (HEADER + '\nlesion-0000.png,melanoma,brown,asymmetric,irregular,smooth,"two\nlines"\n'
         "lesion-0001.png,melanoma,brown,asymmetric,,smooth,x\n", "line 5, column 5 ('borders'): empty"),
    ],
)
def test_labels_csv_problems_named_by_line_and_column(fixture_dir: Path, tmp_path: Path, content: str,
                                                      expected: str) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_text(content, encoding="utf-8")

    assert expected in _refusal(labels, fixture_dir)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (['{"image": "lesion-0000.png", "lesion_type": "x"'], "line 1, column 48: not valid JSON"),
        (['{"image": "lesion-0000.png", "lesion_type": "x", "color": "x", "symmetry": "x", "borders": "x", '
          '"summary": "x"}'], "line 1, field 'texture': missing"),
        (['{"image": "lesion-0000.png", "lesion_type": ["x"], "color": "x", "symmetry": "x", "borders": "x", '
          '"texture": "x", "summary": "x"}'], "line 1, field 'lesion_type': expected text, found list"),
        (["", "[1, 2]"], "line 2, column 1: expected a JSON object"),
    ],
)
def test_labels_jsonl_problems_named_by_line_and_column(fixture_dir: Path, tmp_path: Path, lines: list[str],
                                                        expected: str) -> None:
    labels = tmp_path / "labels.jsonl"
    labels.write_text("\n".join(lines) + "\n", encoding="utf-8")

    assert expected in _refusal(labels, fixture_dir)


def test_labels_card_headings_accepted_and_unreadable_photo_refused(fixture_dir: Path, tmp_path: Path) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_text("Image,Lesion Type,Colour,Symmetry,Borders,Texture,Summary,Notes\n"
                      + ROW.format(image="lesion-0001.png"), encoding="utf-8")
    (tmp_path / "notes.png").write_text("not a photo", encoding="utf-8")
    broken = tmp_path / "broken.csv"
    broken.write_text(HEADER + ROW.format(image="notes.png"), encoding="utf-8")

    photos = read_labels(labels, fixture_dir)

    assert photos[0].truth["color"] == "brown" and photos[0].line == 2
    assert "line 2, column 1 ('image'): " in _refusal(broken, tmp_path)
    assert "is not a readable image" in _refusal(broken, tmp_path)
    assert "a labels file is .csv or .jsonl" in _refusal(tmp_path / "labels.txt", tmp_path)


def test_evaluate_exits_2_on_a_bad_labels_file_and_1_on_a_missing_scorer(
    fixture_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_text(HEADER + ROW.format(image="gone.png"), encoding="utf-8")
    common = ["--model", str(tmp_path / "no-model"), "--images", str(fixture_dir)]

    assert main([*common, "--labels", str(labels)]) == 2
    assert "line 2, column 1 ('image'): no photo at" in capsys.readouterr().err
    assert main([*common, "--labels", str(fixture_dir / "labels.csv"), "--scorer-model", "/nonexistent/scorer"]) == 1
    assert "/nonexistent/scorer" in capsys.readouterr().err


def _outcome(image: str, finding: dict[str, str] | None, score: float) -> PhotoOutcome:
    truth = dict.fromkeys(FINDING_FIELDS, "melanoma")
    predicted = builtin_vocabulary().match(finding["lesion_type"]) if finding else None
    return PhotoOutcome(
        image=image, line=2, truth=truth, raw_text="{}", finding=finding,
        failure_kind=None if finding else "truncated", failure_message="" if finding else "cut off",
        scores=dict.fromkeys(FINDING_FIELDS, score) if finding else {},
        exact={name: finding[name] == "melanoma" for name in FINDING_FIELDS} if finding else {},
        true_class="mel", predicted_class=predicted.code if predicted else None,
        output_tokens=10, generate_ms=1.0,
    )


def test_report_excludes_failed_drafts_counts_them_and_prints_the_card() -> None:
    outcomes = [
        _outcome("a.png", dict.fromkeys(FINDING_FIELDS, "melanoma"), 1.0),
        _outcome("b.png", dict.fromkeys(FINDING_FIELDS, "naevus?"), 0.5),
        _outcome("c.png", None, 0.0),
    ]
    run = {"model_id": "m", "model_revision": "r", "resolved_revision": "abc123", "prompt_version": "card@1+x/free",
           "backend": "transformers", "is_test_model": False, "batch_size": 2, "photos": 3}

    evaluation = summarise(outcomes, vocabulary=builtin_vocabulary(),
                           scorer=ScorerInfo("all-MiniLM-L6-v2", 6, "0.3.13"), run=run)
    text = format_report(evaluation)

    texture = evaluation.fields["texture"]
    assert (texture.scores.n, texture.scores.mean, texture.exact.successes) == (2, 0.75, 1)
    assert evaluation.failures == {"truncated": 1}
    assert "Photos: 3; drafted: 2; failed: 1" in text and "Parse failures by kind: truncated 1" in text
    assert "Texture         2      1  0.7500  0.5000  1.0000  0.3536    50%      0.9449" in text
    assert "~0.9178" in text and "resolved abc123" in text
    assert "BERTScore F1 with all-MiniLM-L6-v2 (6 layers, bert-score 0.3.13, idf off" in text
    # "naevus?" names the naevus class: a melanoma called benign, so the high-risk row misses one of two.
    assert evaluation.classes.high_risk.sensitivity.successes == 1
    assert "accuracy 0.50 (1/2," in text


def test_evaluate_on_the_tiny_model_scores_with_the_real_scorer(
    tiny_model_dir: Path, fixture_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from inference_worker.scoring import get_scorer

    labels = tmp_path / "labels.jsonl"
    rows = [json.loads(line) for line in (fixture_dir / "labels.jsonl").read_text(encoding="utf-8").splitlines()]
    rows[0]["summary"] = "<script>alert(1)</script> & more"
    labels.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    out, page = tmp_path / "report.json", tmp_path / "report.html"

    status = main([
        "--model", str(tiny_model_dir), "--images", str(fixture_dir), "--labels", str(labels), "--device", "cpu",
        "--min-pixels", str(TINY_MIN_PIXELS), "--max-pixels", str(TINY_MAX_PIXELS), "--max-new-tokens",
        str(TINY_MAX_NEW_TOKENS), "--decoding", "schema", "--batch-size", "3", "--out", str(out), "--html", str(page),
    ])

    printed, progress = capsys.readouterr()
    assert status == 0
    assert "drafting: 100%" in progress and "4/4" in progress
    for figure in CARD_BERTSCORE_F1.values():
        assert f"{figure.mean:.4f}" in printed and f"{figure.std:.4f}" in printed
    assert "Scorer: BERTScore F1 with all-MiniLM-L6-v2 (6 layers" in printed
    assert "tiny random test model" in printed
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["run"]["photos"] == 4 and report["run"]["batch_size"] == 3
    assert report["run"]["prompt_version"].endswith("/schema")
    outcomes = report["outcomes"]
    assert [o["image"] for o in outcomes] == [f"lesion-{i:04d}.png" for i in range(4)]
    assert all(o["raw_text"] and o["finding"] and set(o["scores"]) == set(FINDING_FIELDS) for o in outcomes)
    assert report["fields"]["summary"]["scores"]["n"] == 4 and report["drafted_ok"] == 4
    assert [o["true_class"] for o in outcomes] == ["mel", "naevus", "bcc", "sk"]
    first = outcomes[1]
    rescored = get_scorer().score_pairs([first["finding"][n] for n in FINDING_FIELDS],
                                        [first["truth"][n] for n in FINDING_FIELDS])
    assert [first["scores"][n] for n in FINDING_FIELDS] == pytest.approx([p.f1 for p in rescored], abs=1e-4)
    assert report["fields"]["color"]["scores"]["mean"] == pytest.approx(
        sum(o["scores"]["color"] for o in outcomes) / 4)
    html = page.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html and "<script>" not in html
