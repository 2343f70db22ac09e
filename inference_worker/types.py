"""Inputs, outputs and errors shared by every engine.

These are plain dataclasses so that the web tier can import them without torch.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from PIL import Image

    from inference_worker.schema import Finding

BackendName = Literal["transformers", "openai"]


class FailureKind(enum.StrEnum):
    """Why a draft has no finding. Stored by the Django side, so values never change."""

    UNPARSEABLE = "unparseable"  # the reply is not a JSON object
    SCHEMA_INVALID = "schema_invalid"  # JSON, but not a valid Finding
    TRUNCATED = "truncated"  # the reply hit the token limit before the JSON was complete
    EMPTY = "empty"  # nothing but whitespace came back
    ENGINE_ERROR = "engine_error"  # the backend failed for this item (HTTP error, bad image, ...)


class ModelLoadError(RuntimeError):
    """The model could not be loaded (missing directory, hub unreachable, bad files).

    ``reason`` is one human-readable sentence; it is also the exception message.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ImageInput:
    """One photo to describe. ``key`` is the caller's identifier, echoed in the result."""

    key: str
    image: Image.Image


@dataclass(frozen=True, slots=True)
class DraftResult:
    """The outcome for one `ImageInput`: a finding, or the reason there is none.

    ``raw_text`` is always the model's reply as decoded (special tokens removed), kept for audit
    even when the finding is valid. Timings are milliseconds; ``generate_ms`` is this image's
    share of its batch (batch time divided by the batch size). ``resolved_revision`` is what the
    weights actually came from (a commit, or an adapter's and its base's), "" when unknown; unlike
    ``model_revision`` it is not part of the identity the web tier queued the draft under.
    """

    key: str
    finding: Finding | None
    failure_kind: FailureKind | None
    failure_message: str
    raw_text: str
    backend: BackendName
    model_id: str
    model_revision: str
    prompt_version: str
    preprocess_ms: float
    generate_ms: float
    prompt_tokens: int
    output_tokens: int
    batch_size: int
    resolved_revision: str = ""

    @property
    def ok(self) -> bool:
        """True when the draft holds a schema-valid finding."""
        return self.finding is not None
