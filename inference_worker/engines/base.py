"""What every engine offers, and the helpers that turn a reply into a `DraftResult`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from inference_worker.identity import ModelIdentity
from inference_worker.parse import ParseFailure, parse_reply
from inference_worker.profile import PromptProfile
from inference_worker.schema import Finding
from inference_worker.types import BackendName, DraftResult, FailureKind, ImageInput


@runtime_checkable
class Engine(Protocol):
    """Turns photos into draft findings.

    ``generate`` returns one result per input, in input order, and does not raise for a bad
    model reply or a failed item: those become results with a ``failure_kind``. Every result
    carries the engine's `identity` (see `inference_worker.identity`).
    """

    backend: BackendName
    identity: ModelIdentity

    def generate(self, images: Sequence[ImageInput]) -> list[DraftResult]: ...


@dataclass(frozen=True, slots=True)
class DraftOrigin:
    """Where the drafts of one batch came from: their identity, the weights' revision and the prompt profile.

    The profile is the one the prompt was rendered from; its key aliases are the ones the parser accepts.
    """

    identity: ModelIdentity
    batch_size: int
    resolved_revision: str = ""
    profile: PromptProfile | None = None


@dataclass(frozen=True, slots=True)
class ItemMetrics:
    """Per-item counters; ``generate_ms`` is the item's share of its batch."""

    preprocess_ms: float = 0.0
    generate_ms: float = 0.0
    prompt_tokens: int = 0
    output_tokens: int = 0


def draft_from_reply(
    key: str,
    raw_text: str,
    *,
    hit_token_limit: bool,
    origin: DraftOrigin,
    metrics: ItemMetrics,
) -> DraftResult:
    """Parse ``raw_text`` and wrap the outcome, keeping the raw text either way."""
    outcome = parse_reply(raw_text, hit_token_limit=hit_token_limit, profile=origin.profile)
    if isinstance(outcome, ParseFailure):
        return _result(key, raw_text, origin, metrics, failure_kind=outcome.kind, failure_message=outcome.message)
    return _result(key, raw_text, origin, metrics, finding=outcome)


def draft_from_error(
    key: str,
    message: str,
    *,
    origin: DraftOrigin,
    metrics: ItemMetrics | None = None,
) -> DraftResult:
    """A result for an item the backend could not process at all."""
    return _result(key, "", origin, metrics or ItemMetrics(), failure_kind=FailureKind.ENGINE_ERROR,
                   failure_message=message)


def _result(
    key: str,
    raw_text: str,
    origin: DraftOrigin,
    metrics: ItemMetrics,
    *,
    finding: Finding | None = None,
    failure_kind: FailureKind | None = None,
    failure_message: str = "",
) -> DraftResult:
    return DraftResult(
        key=key,
        finding=finding,
        failure_kind=failure_kind,
        failure_message=failure_message,
        raw_text=raw_text,
        backend=origin.identity.backend,
        model_id=origin.identity.model_id,
        model_revision=origin.identity.model_revision,
        prompt_version=origin.identity.prompt_version,
        preprocess_ms=metrics.preprocess_ms,
        generate_ms=metrics.generate_ms,
        prompt_tokens=metrics.prompt_tokens,
        output_tokens=metrics.output_tokens,
        batch_size=origin.batch_size,
        resolved_revision=origin.resolved_revision,
    )
