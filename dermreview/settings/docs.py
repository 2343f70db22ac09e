""".env.example and the README's configuration tables, rendered from the registry of variables.

`manage.py settings_docs` writes them; a test fails when the files in the repository differ from what this renders,
so a variable added to the registry without regenerating the docs cannot go unnoticed.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from dermreview.settings.variable import Section, Variable
from dermreview.settings.variables import SECTIONS

README_START = "<!-- settings-table:start -->"
README_END = "<!-- settings-table:end -->"
_GENERATED = "Generated from dermreview/settings/variables/ by `python manage.py settings_docs`: edit those, not this."
_WIDTH = 110

_ENV_HEADER = f"""\
# DermReview configuration. Every variable DermReview reads is listed here with its default.
# {_GENERATED}
#
# Production (docker compose): `cp .env.example .env`, fill in the REQUIRED values, adjust the rest.
# docker-compose.yml already sets DATABASE_URL, CELERY_BROKER_URL, the paths and the media mode for its
# containers; the values it sets win over this file.
# Local (`make run`, `make test`): nothing is required; export a variable in your shell to change it (the
# settings do not read .env, so a production file here never leaks into tests).
#
# A malformed value stops start-up with a message naming the variable. Empty means "use the default".
"""


def _plain(markdown: str) -> str:
    """Markdown for a comment line: code spans stay (`make run`), bold goes."""
    return markdown.replace("**", "")


def _comment(text: str) -> list[str]:
    return textwrap.wrap(text, width=_WIDTH, initial_indent="# ", subsequent_indent="# ", break_on_hyphens=False)


def _banner(title: str) -> str:
    head = f"# --- {_plain(title)} "
    return head + "-" * max(3, _WIDTH - len(head))


def _env_entry(variable: Variable, *, required: bool) -> list[str]:
    text = _plain(variable.meaning)
    default = _plain(variable.shown_default)
    if default and default.replace("`", "") != variable.example_value():
        text += f" Default: {default}."
    line = f"{variable.name}=" if required else f"# {variable.name}={variable.example_value()}"
    return [*_comment(text), line]


def render_env_example(sections: tuple[Section, ...] = SECTIONS) -> str:
    """The whole of .env.example: the required values first, uncommented; every other one commented out."""
    required = [v for s in sections for v in s.variables if v.required_in_production]
    lines = [_ENV_HEADER, _banner("REQUIRED in production")]
    for variable in required:
        lines += _env_entry(variable, required=True)
    for section in sections:
        lines += ["", _banner(section.title)]
        for variable in section.variables:
            if variable not in required:
                lines += _env_entry(variable, required=False)
    return "\n".join(lines) + "\n"


def _cell(markdown: str) -> str:
    return markdown.replace("|", "\\|")


def render_readme_tables(sections: tuple[Section, ...] = SECTIONS) -> str:
    """The README's tables, one `###` heading per section, markers included."""
    lines = [README_START, f"<!-- {_GENERATED} -->"]
    for section in sections:
        lines += ["", f"### {section.title}", "", "| variable | default | meaning |", "|---|---|---|"]
        lines += [
            f"| `{v.name}` | {_cell(v.default_markdown())} | {_cell(v.meaning)} |" for v in section.variables
        ]
    lines += ["", README_END]
    return "\n".join(lines)


def readme_with_tables(readme: str, sections: tuple[Section, ...] = SECTIONS) -> str:
    """`readme` with the text between the two markers (inclusive) replaced; the prose around it is kept."""
    start, end = readme.find(README_START), readme.find(README_END)
    if start < 0 or end < start:
        raise ValueError(f"README.md has no {README_START} ... {README_END} block")
    return readme[:start] + render_readme_tables(sections) + readme[end + len(README_END):]


def generated_files(root: Path) -> dict[Path, str]:
    """What .env.example and README.md under `root` should contain."""
    readme = root / "README.md"
    return {
        root / ".env.example": render_env_example(),
        readme: readme_with_tables(readme.read_text(encoding="utf-8")),
    }


def stale_files(root: Path) -> list[Path]:
    """The generated files under `root` whose content differs from what the registry renders."""
    return [
        path for path, text in generated_files(root).items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
