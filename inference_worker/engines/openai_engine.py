"""Send photos to an OpenAI-compatible chat-completions server (vLLM, hosted endpoints).

Each image is one request: ``POST {base_url}/chat/completions`` with the photo as a base64 JPEG
``data:`` URL and the prompt profile's instruction, in the profile's order, greedy
(``temperature=0``). The server does the batching; this engine only limits how many requests are
in flight (``DERMREVIEW_OPENAI_CONCURRENCY``).

Decoding, as the transformers engine's:

* ``schema``: the profile's EBNF grammar (`inference_worker.grammar`), the same text the
  transformers engine compiles, in vLLM's structured-outputs field. Current vLLM reads
  ``"structured_outputs": {"grammar": ...}``; releases before that rename read ``"guided_grammar"``.
  ``DERMREVIEW_OPENAI_GRAMMAR_FIELD`` chooses one; only one is sent. vLLM's request models accept
  unknown fields (they log them as ignored), so the wrong choice is not an error there: the reply
  is simply unconstrained, and the parser still reports what it makes of it. Other servers (hosted
  APIs) may refuse an unknown field with a 4xx, which becomes an ``engine_error``: use ``json``
  there.
* ``json``: ``response_format: {"type": "json_object"}``, which OpenAI-compatible servers widely
  support.
* ``free``: nothing.

Failures never raise out of `OpenAIEngine.generate`. Connection errors, timeouts, 5xx and 429
(the server asking us to come back later) are retried with exponential backoff; other 4xx are
not, since sending the same request again cannot help. A request that still fails becomes an
``engine_error`` result for that image only.
"""

from __future__ import annotations

import base64
import io
import logging
import random
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx

from inference_worker.config import WorkerConfig
from inference_worker.engines.base import DraftOrigin, ItemMetrics, draft_from_error, draft_from_reply
from inference_worker.grammar import finding_grammar
from inference_worker.identity import model_identity
from inference_worker.preprocess import prepare_image
from inference_worker.prompt import build_messages
from inference_worker.types import BackendName, DraftResult, ImageInput

logger = logging.getLogger(__name__)

_JPEG_QUALITY = 90
_MAX_BACKOFF_S = 8.0


class _RequestFailed(Exception):
    """A request that failed for good; the message goes into the draft."""


@dataclass(frozen=True, slots=True)
class _Reply:
    content: str
    finish_reason: str
    prompt_tokens: int
    output_tokens: int


class OpenAIEngine:
    """Engine backed by a remote OpenAI-compatible server. Thread-safe."""

    backend: BackendName = "openai"

    def __init__(
        self,
        cfg: WorkerConfig,
        *,
        backoff_s: float = 0.5,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """``backoff_s`` is the first retry delay (doubled each retry, capped at 8 s, jittered)."""
        self.cfg = cfg
        self.identity = model_identity(cfg)
        self._backoff_s = backoff_s
        headers = {"Content-Type": "application/json"}
        if cfg.openai_api_key:
            headers["Authorization"] = f"Bearer {cfg.openai_api_key}"
        self._client = httpx.Client(
            base_url=cfg.openai_base_url,
            headers=headers,
            timeout=httpx.Timeout(cfg.openai_timeout_s),
            limits=httpx.Limits(max_connections=cfg.openai_concurrency),
            transport=transport,
        )
        self._pool = ThreadPoolExecutor(
            max_workers=cfg.openai_concurrency, thread_name_prefix="dermreview-openai"
        )
        self.profile = cfg.profile
        self._constraint = _constraint(cfg)
        self._closed = threading.Event()

    def close(self) -> None:
        """Release the connection pool and threads."""
        self._closed.set()
        self._pool.shutdown(wait=True)
        self._client.close()

    def generate(self, images: Sequence[ImageInput]) -> list[DraftResult]:
        """One request per image, at most ``openai_concurrency`` at a time; input order kept."""
        return list(self._pool.map(self._describe_one, images))

    def _describe_one(self, item: ImageInput) -> DraftResult:
        # The server batches on its side; from here each image is a batch of one.
        origin = DraftOrigin(self.identity, batch_size=1, profile=self.profile)
        started = time.perf_counter()
        try:
            data_url = _jpeg_data_url(
                prepare_image(item.image, min_pixels=self.cfg.min_pixels, max_pixels=self.cfg.image_max_pixels)
            )
        except (ValueError, OSError) as exc:
            return draft_from_error(item.key, f"unusable image: {exc}", origin=origin)
        preprocess_ms = _ms_since(started)

        started = time.perf_counter()
        try:
            reply = self._post_with_retries(self._request_body(data_url))
        except _RequestFailed as exc:
            metrics = ItemMetrics(preprocess_ms=preprocess_ms, generate_ms=_ms_since(started))
            return draft_from_error(item.key, str(exc), origin=origin, metrics=metrics)
        metrics = ItemMetrics(
            preprocess_ms=preprocess_ms,
            generate_ms=_ms_since(started),
            prompt_tokens=reply.prompt_tokens,
            output_tokens=reply.output_tokens,
        )
        return draft_from_reply(
            item.key,
            reply.content,
            hit_token_limit=reply.finish_reason == "length",
            origin=origin,
            metrics=metrics,
        )

    def _request_body(self, data_url: str) -> dict[str, Any]:
        image = {"type": "image_url", "image_url": {"url": data_url}}
        return {
            "model": self.cfg.served_model_name,
            "messages": build_messages(self.profile, image),
            "temperature": 0,
            "max_tokens": self.cfg.max_new_tokens,
            **self._constraint,
        }

    def _post_with_retries(self, body: dict[str, Any]) -> _Reply:
        attempts = self.cfg.openai_max_retries + 1
        last_error = ""
        for attempt in range(attempts):
            retry_after: float | None = None
            try:
                response = self._client.post("/chat/completions", json=body)
            except httpx.TimeoutException as exc:
                last_error = f"timed out after {self.cfg.openai_timeout_s:g}s ({type(exc).__name__})"
            except httpx.TransportError as exc:
                last_error = f"connection failed: {type(exc).__name__}: {exc}"
            else:
                if response.status_code < 300:
                    return _read_reply(response)
                last_error = f"HTTP {response.status_code}: {_short(response.text)}"
                if not _is_retryable(response.status_code):
                    raise _RequestFailed(f"server refused the request: {last_error}")
                retry_after = _retry_after_s(response)
            if attempt + 1 < attempts and not self._closed.is_set():
                logger.warning("request failed (%s); retry %d of %d", last_error, attempt + 1, attempts - 1)
                time.sleep(self._delay(attempt, retry_after))
        raise _RequestFailed(f"request failed after {attempts} attempt(s): {last_error}")

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, _MAX_BACKOFF_S)
        # Full jitter, so a crowd of workers that failed together does not retry together.
        ceiling = min(self._backoff_s * (2**attempt), _MAX_BACKOFF_S)
        return random.uniform(ceiling / 2, ceiling)


def _constraint(cfg: WorkerConfig) -> dict[str, Any]:
    """The request fields that hold the reply to the decoding mode (see the module docstring)."""
    if cfg.decoding == "json":
        return {"response_format": {"type": "json_object"}}
    if cfg.decoding == "free":
        return {}
    grammar = finding_grammar(cfg.profile)
    if cfg.openai_grammar_field == "guided_grammar":
        return {"guided_grammar": grammar}
    return {"structured_outputs": {"grammar": grammar}}


def _is_retryable(status: int) -> bool:
    return status == 429 or status >= 500


def _read_reply(response: httpx.Response) -> _Reply:
    try:
        payload = response.json()
        choice = payload["choices"][0]
        content = choice["message"].get("content") or ""
        usage = payload.get("usage") or {}
        return _Reply(
            content=content,
            finish_reason=str(choice.get("finish_reason") or ""),
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            output_tokens=int(usage.get("completion_tokens") or 0),
        )
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise _RequestFailed(
            f"malformed chat-completions response ({type(exc).__name__}): {_short(response.text)}"
        ) from exc


def _retry_after_s(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _jpeg_data_url(image: Any) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=_JPEG_QUALITY)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
