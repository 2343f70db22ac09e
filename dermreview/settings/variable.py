"""What one environment variable is: its type, default, bounds, topic and meaning.

The entries themselves live in `dermreview/settings/variables/`, one module per topic; `registry.py` looks them up
and `docs.py` renders .env.example and the README's configuration tables from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from dermreview.settings import env as parsers

Kind = Literal["str", "bool", "int", "float", "list", "choice", "url", "path", "database", "rate"]

# Who reads a variable. Only SETTINGS variables become Django settings through `registry.env()`; the others are
# registered so that one list documents every knob, whoever reads it.
SETTINGS = "settings"
INFERENCE_WORKER = "inference_worker"  # inference_worker.WorkerConfig, built by registry.worker_config()
HUGGING_FACE = "huggingface_hub"
DEMO_SETUP = "manage.py demo_setup"
DEVSERVER = "make run (dermreview/devserver.py)"
COMPOSE = "docker-compose.yml"
GUNICORN = "deploy/gunicorn.conf.py"


class _Computed:
    """Marks a default that depends on other settings; the caller of `registry.env()` passes it."""

    def __repr__(self) -> str:
        return "COMPUTED"


COMPUTED: Any = _Computed()


@dataclass(frozen=True, slots=True)
class Variable:
    name: str
    kind: Kind
    # Markdown: the README's "meaning" column, and (without bold) the comment above the line in .env.example.
    meaning: str
    default: Any = None
    # Markdown for the README's "default" column when the plain default would mislead (computed, or needs a unit).
    shown_default: str = ""
    # The value on the `# NAME=...` line of .env.example when it is not the default itself.
    example: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    # The allowed values of a `choice`, or the allowed schemes of a `url`.
    choices: tuple[str, ...] = ()
    read_by: str = SETTINGS
    # Non-empty: production refuses to start without it, and this hint ends the message (how to get a value).
    required_in_production: str = ""

    def __post_init__(self) -> None:
        # Caught by the registry's tests, so that a new entry cannot be undocumentable.
        if self.default is COMPUTED and not self.shown_default:
            raise ValueError(f"{self.name}: a computed default needs shown_default")
        if self.kind in ("choice", "url") and not self.choices:
            raise ValueError(f"{self.name}: a {self.kind} needs choices")

    def parse(self, raw: str) -> Any:
        """The typed value of `raw` (never empty); ImproperlyConfigured naming the variable when malformed."""
        name, low, high = self.name, self.minimum, self.maximum
        if self.kind == "int":
            return parsers.parse_int(name, raw, minimum=low, maximum=high)
        if self.kind == "float":
            return parsers.parse_float(name, raw, minimum=low, maximum=high)
        if self.kind == "bool":
            return parsers.parse_bool(name, raw)
        if self.kind == "list":
            return parsers.parse_list(name, raw)
        if self.kind == "choice":
            return parsers.parse_choice(name, raw, self.choices)
        if self.kind == "url":
            return parsers.parse_url(name, raw, self.choices)
        if self.kind == "rate":
            return parsers.parse_rate(name, raw)
        if self.kind == "database":
            return parsers.parse_database(name, raw)
        if self.kind == "path":
            return Path(raw)
        return raw

    def default_markdown(self) -> str:
        """The README's "default" cell."""
        if self.shown_default:
            return self.shown_default
        text = _plain(self.default)
        if self.default is None:
            return "unset"
        return f"`{text}`" if text else "empty"

    def example_value(self) -> str:
        """What follows `NAME=` in .env.example."""
        return self.example if self.example is not None else _plain(self.default)


def _plain(value: Any) -> str:
    if value is None or value is COMPUTED:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return ",".join(str(item) for item in value)
    return str(value)


@dataclass(frozen=True, slots=True)
class Section:
    """One topic: a `### title` table in the README and a `# --- title ---` block in .env.example."""

    title: str
    variables: tuple[Variable, ...]
