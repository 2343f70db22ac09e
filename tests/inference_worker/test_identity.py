"""The model identity a configuration records drafts under, and that its engine reports on every result."""

from __future__ import annotations

import ast
from pathlib import Path

from inference_worker import WorkerConfig, load_profile
from inference_worker.identity import (
    REVISION_FILE,
    TINY_MODEL_ID,
    TINY_MODEL_REVISION,
    is_tiny_model,
    model_identity,
)


def test_identity_names_the_tiny_test_model_whatever_its_path(tmp_path: Path) -> None:
    model_dir = tmp_path / "anywhere"
    model_dir.mkdir()
    (model_dir / "dermreview_tiny_model.json").write_text('{"kind": "dermreview-tiny-qwen3vl", "builder_version": 1}')
    identity = model_identity(WorkerConfig(model=str(model_dir)))
    assert (identity.model_id, identity.model_revision) == (TINY_MODEL_ID, TINY_MODEL_REVISION)
    assert identity.is_test_model and is_tiny_model(model_dir)


def test_identity_of_a_fetched_directory_is_its_hub_id_and_commit(tmp_path: Path) -> None:
    (tmp_path / REVISION_FILE).write_text("0xAgamy/unsloth_Qwen3vl_finetune@abc123\n")
    identity = model_identity(WorkerConfig(model=str(tmp_path)))
    assert (identity.model_id, identity.model_revision) == ("0xAgamy/unsloth_Qwen3vl_finetune", "abc123")
    assert not identity.is_test_model


def test_identity_of_hub_openai_and_plain_directories(tmp_path: Path) -> None:
    hub = model_identity(WorkerConfig(model="org/model", model_revision="deadbeef"))
    assert (hub.model_id, hub.model_revision, hub.backend) == ("org/model", "deadbeef", "transformers")
    assert hub.prompt_version == load_profile("card").prompt_version + "/schema"
    served = model_identity(WorkerConfig(backend="openai", openai_base_url="http://127.0.0.1:9/v1",
                                         openai_model="derm-vl"))
    assert (served.model_id, served.backend) == ("derm-vl", "openai")
    plain = model_identity(WorkerConfig(model=str(tmp_path / ".." / tmp_path.name)))
    assert plain.model_id == f"local:{tmp_path.name}"


def test_identity_prompt_version_changes_with_profile_and_decoding() -> None:
    versions = {
        model_identity(WorkerConfig(model="org/model", prompt_profile=profile, decoding=decoding)).prompt_version
        for profile in ("card", "unsloth")
        for decoding in ("schema", "json", "free")
    }
    assert len(versions) == 6
    assert all(len(version) <= 40 for version in versions)


def test_identity_ignores_a_malformed_revision_record(tmp_path: Path) -> None:
    (tmp_path / REVISION_FILE).write_text("no-commit-here\n")
    identity = model_identity(WorkerConfig(model=str(tmp_path), model_revision="v2"))
    assert (identity.model_id, identity.model_revision) == (f"local:{tmp_path.name}", "v2")


def test_identity_production_code_never_imports_the_test_model_builders() -> None:
    # The tiny model's identity and marker live here, in the package proper, so that recognising the test model
    # does not need its builders. Only tests, benchmarks and the development server (which builds the tiny model
    # for `make run`) import those.
    root = Path(__file__).resolve().parents[2]
    allowed = {root / "dermreview" / "devserver.py"}
    package = root / "inference_worker"
    production = [
        *(path for path in package.rglob("*.py") if "testing" not in path.relative_to(package).parts),
        *(path for path in (root / "dermreview").rglob("*.py") if path not in allowed),
    ]
    assert len(production) > 50
    offenders = [str(path.relative_to(root)) for path in production if _imports_testing(path)]
    assert offenders == []


def _imports_testing(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        if any(name.startswith("inference_worker.testing") for name in names):
            return True
    return False
