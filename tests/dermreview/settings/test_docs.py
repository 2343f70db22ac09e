""".env.example and the README's configuration tables are generated from the registry, and kept current."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dermreview.settings.docs import (
    README_END,
    README_START,
    readme_with_tables,
    render_env_example,
    render_readme_tables,
    stale_files,
)
from dermreview.settings.variable import Section, Variable
from dermreview.settings.variables import SECTIONS

ROOT = Path(__file__).resolve().parents[3]


def test_settings_docs_in_the_repository_are_current() -> None:
    stale = [str(path.relative_to(ROOT)) for path in stale_files(ROOT)]

    assert stale == [], f"run `python manage.py settings_docs` and commit: {stale} differ from the registry"


def test_settings_docs_a_new_variable_appears_in_both_files() -> None:
    # What makes the test above fail when someone registers a variable without regenerating.
    extra = (*SECTIONS, Section("Extra", (Variable("DERMREVIEW_NEW_KNOB", "int", default=3, meaning="A knob."),)))

    assert "# A knob.\n# DERMREVIEW_NEW_KNOB=3\n" in render_env_example(extra)
    assert "| `DERMREVIEW_NEW_KNOB` | `3` | A knob. |" in render_readme_tables(extra)
    assert "DERMREVIEW_NEW_KNOB" not in render_env_example()


def test_settings_docs_required_values_are_uncommented_in_env_example() -> None:
    text = render_env_example()

    for name in ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "POSTGRES_PASSWORD"):
        assert f"\n{name}=\n" in text
    assert "\n# DERMREVIEW_UPLOAD_MAX_FILES=20\n" in text


def test_settings_docs_replace_only_the_text_between_the_markers() -> None:
    readme = f"# Title\n\nProse before.\n\n{README_START}\nold table\n{README_END}\n\nProse after.\n"

    updated = readme_with_tables(readme)

    assert updated.startswith("# Title\n\nProse before.\n\n" + README_START)
    assert updated.endswith(README_END + "\n\nProse after.\n")
    assert "old table" not in updated
    assert "### Core" in updated
    with pytest.raises(ValueError, match="settings-table:start"):
        readme_with_tables("# No markers here\n")


def test_settings_docs_command_checks_then_regenerates(tmp_path: Path) -> None:
    for name in ("README.md", ".env.example"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / ".env.example").write_text("# DERMREVIEW_HAND_EDITED=1\n", encoding="utf-8")

    with pytest.raises(CommandError, match=r"out of date: \.env\.example"):
        call_command("settings_docs", "--check", root=tmp_path)
    call_command("settings_docs", root=tmp_path)
    call_command("settings_docs", "--check", root=tmp_path)

    assert (tmp_path / ".env.example").read_text(encoding="utf-8") == render_env_example()
    assert (tmp_path / "README.md").read_text(encoding="utf-8") == (ROOT / "README.md").read_text(encoding="utf-8")
