"""Run the vision-language model in this process with Hugging Face transformers.

One engine per process holds the processor, the model, the prompt profile and the compiled grammar.
A call to `TransformersEngine.generate` splits its images into batches of ``batch_size``, runs each
batch through one ``model.generate`` call (greedy, left-padded) and parses every reply.

Loading (merged weights, a LoRA adapter merged onto its base, quantised checkpoints) is
`inference_worker.loading`'s; this module prepares what it returns for generation.

Decoding (``DERMREVIEW_DECODING``): ``schema`` compiles the profile's finding grammar, ``json`` a
grammar of any JSON object (both from `inference_worker.grammar`, both with the whitespace of the
profile's layout), ``free`` none. A grammar is compiled once, at load time (it depends only on the
tokenizer and the profile). The xgrammar logits processor keeps one matcher per row and is consumed
by a single ``generate`` call, so a fresh one is made for every batch.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import torch
from PIL import Image

from inference_worker.config import WorkerConfig
from inference_worker.engines.base import DraftOrigin, ItemMetrics, draft_from_error, draft_from_reply
from inference_worker.grammar import finding_grammar, json_object_grammar
from inference_worker.identity import ModelIdentity, model_identity
from inference_worker.preprocess import prepare_image
from inference_worker.profile import PromptProfile
from inference_worker.prompt import build_messages
from inference_worker.types import BackendName, DraftResult, ImageInput, ModelLoadError

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Prepared:
    index: int
    key: str
    image: Image.Image
    resize_ms: float


class TransformersEngine:
    """The in-process engine. Build it with `load`; `get_engine` caches it per process."""

    backend: BackendName = "transformers"

    def __init__(
        self,
        cfg: WorkerConfig,
        *,
        model: Any,
        processor: Any,
        device: torch.device,
        grammar: Any | None,
        identity: ModelIdentity,
        resolved_revision: str = "",
    ) -> None:
        self.cfg = cfg
        self.model = model
        self.processor = processor
        self.device = device
        self.identity = identity
        self.profile: PromptProfile = cfg.profile
        self.resolved_revision = resolved_revision
        self._grammar = grammar
        # One model, one batch at a time: concurrent generate calls would only compete for the
        # same device and multiply activation memory.
        self._lock = threading.Lock()
        tokenizer = processor.tokenizer
        self._stop_ids = _stop_token_ids(model, tokenizer)
        self._pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else self._stop_ids[0]
        # Every item gets the same prompt, so the chat template is rendered once, from the profile.
        self._prompt = processor.apply_chat_template(
            build_messages(self.profile), add_generation_prompt=True, tokenize=False
        )

    @classmethod
    def load(cls, cfg: WorkerConfig) -> TransformersEngine:
        """Load processor and model (`inference_worker.loading.load_pretrained`), then `from_components`.

        Any failure is one `ModelLoadError` whose reason names the model and, where there is one, the fix.
        """
        from inference_worker.loading import load_pretrained

        device = resolve_device(cfg.device)
        dtype = resolve_dtype(cfg.dtype, device)
        started = time.perf_counter()
        loaded = load_pretrained(cfg, device=device, dtype=dtype)
        engine = cls.from_components(
            cfg, model=loaded.model, processor=loaded.processor, resolved_revision=loaded.resolved_revision
        )
        # Drafts record the configured identity, the one the web tier queued them under, and beside it the
        # revision the weights actually came from: worth a log line when the configuration names a moving branch.
        logger.info(
            "loaded %s (resolved revision %s) on %s as %s, prompt %s, in %.1fs",
            cfg.model,
            loaded.resolved_revision or "unknown",
            device,
            dtype,
            engine.identity.prompt_version,
            time.perf_counter() - started,
        )
        return engine

    @classmethod
    def from_components(
        cls,
        cfg: WorkerConfig,
        *,
        model: Any,
        processor: Any,
        model_revision: str | None = None,
        resolved_revision: str | None = None,
    ) -> TransformersEngine:
        """Prepare an already-built model and processor for generation, as `load` does.

        `load` goes through here; so does the benchmark's full-size random model, which is built
        in memory rather than saved and reloaded. ``model_revision`` replaces the configured
        revision in the identity the engine reports (the in-memory model has no revision of its own).
        ``resolved_revision`` (default: the commit transformers recorded on the config, if any) is
        reported on every draft.
        """
        identity = model_identity(cfg)
        if model_revision is not None:
            identity = replace(identity, model_revision=model_revision)
        if resolved_revision is None:
            resolved_revision = getattr(getattr(model, "config", None), "_commit_hash", None) or ""
        device = resolve_device(cfg.device)
        try:
            model = model.to(device).eval()
            # Left padding: generation appends to the right end of every row.
            processor.tokenizer.padding_side = "left"
            # Same bounds as `prepare_image`, so the processor never resizes again (and never
            # enlarges a small photo past the budget).
            processor.image_processor.size = {
                "shortest_edge": cfg.min_pixels,
                "longest_edge": cfg.image_max_pixels,
            }
            grammar = compile_reply_grammar(cfg, processor.tokenizer, model)
            return cls(
                cfg,
                model=model,
                processor=processor,
                device=device,
                grammar=grammar,
                identity=identity,
                resolved_revision=resolved_revision,
            )
        except Exception as exc:  # e.g. out of device memory, or a tokenizer xgrammar cannot read
            raise ModelLoadError(f"model {cfg.model!r} loaded but could not be prepared: {exc}") from exc

    def generate(self, images: Sequence[ImageInput]) -> list[DraftResult]:
        """Describe every image; one result per input, in input order.

        Inputs beyond ``batch_size`` are processed in further batches. Thread-safe: calls from
        several threads take turns.
        """
        results: list[DraftResult] = []
        size = self.cfg.batch_size
        with self._lock:
            for start in range(0, len(images), size):
                results.extend(self._generate_batch(images[start : start + size]))
        return results

    def _generate_batch(self, items: Sequence[ImageInput]) -> list[DraftResult]:
        results: dict[int, DraftResult] = {}
        prepared: list[_Prepared] = []
        for index, item in enumerate(items):
            started = time.perf_counter()
            try:
                image = prepare_image(
                    item.image, min_pixels=self.cfg.min_pixels, max_pixels=self.cfg.image_max_pixels
                )
            except (ValueError, OSError) as exc:
                origin = self._origin(batch_size=len(items))
                results[index] = draft_from_error(item.key, f"unusable image: {exc}", origin=origin)
                continue
            prepared.append(_Prepared(index, item.key, image, _ms_since(started)))

        if prepared:
            try:
                drafts = self._run(prepared)
            except Exception as exc:  # one bad batch must not lose the others
                if len(prepared) == 1:
                    logger.exception("generation failed for %s", prepared[0].key)
                    origin = self._origin(batch_size=1)
                    drafts = [draft_from_error(prepared[0].key, _describe(exc), origin=origin)]
                else:
                    # Retry one by one so a single problem item (or an out-of-memory batch)
                    # only fails what it has to.
                    logger.warning("batch of %d failed (%s); retrying one by one", len(prepared), exc)
                    drafts = [self._run_alone(one) for one in prepared]
            for one, draft in zip(prepared, drafts, strict=True):
                results[one.index] = draft
        return [results[index] for index in range(len(items))]

    def _run_alone(self, one: _Prepared) -> DraftResult:
        try:
            return self._run([one])[0]
        except Exception as exc:  # reported on this item; the rest of the batch goes on
            logger.exception("generation failed for %s", one.key)
            return draft_from_error(one.key, _describe(exc), origin=self._origin(batch_size=1))

    def _run(self, batch: list[_Prepared]) -> list[DraftResult]:
        n = len(batch)
        started = time.perf_counter()
        inputs = self.processor(
            text=[self._prompt] * n,
            images=[one.image for one in batch],
            padding=True,
            return_tensors="pt",
        ).to(self.device)
        processor_ms = _ms_since(started)

        generation_kwargs: dict[str, Any] = {
            "max_new_tokens": self.cfg.max_new_tokens,
            "do_sample": False,
            "num_beams": 1,
            "eos_token_id": self._stop_ids,
            "pad_token_id": self._pad_id,
            # The hub generation_config carries sampling defaults (temperature, top_p, ...) that
            # greedy decoding ignores; unset them rather than log a warning per batch.
            "temperature": None,
            "top_p": None,
            "top_k": None,
        }
        if self._grammar is not None:
            from xgrammar.contrib.hf import LogitsProcessor

            generation_kwargs["logits_processor"] = [LogitsProcessor(self._grammar)]

        started = time.perf_counter()
        with torch.inference_mode():
            sequences = self.model.generate(**inputs, **generation_kwargs)
        generate_ms = _ms_since(started)

        prompt_length = inputs["input_ids"].shape[1]
        new_tokens = sequences[:, prompt_length:].tolist()
        prompt_tokens = inputs["attention_mask"].sum(dim=1).tolist()
        origin = self._origin(batch_size=n)
        drafts = []
        for row, one, n_prompt in zip(new_tokens, batch, prompt_tokens, strict=True):
            kept, hit_limit = _until_stop(row, self._stop_ids, self.cfg.max_new_tokens)
            raw_text = self.processor.tokenizer.decode(kept, skip_special_tokens=True)
            metrics = ItemMetrics(
                preprocess_ms=one.resize_ms + processor_ms / n,
                generate_ms=generate_ms / n,
                prompt_tokens=int(n_prompt),
                output_tokens=len(kept),
            )
            drafts.append(
                draft_from_reply(one.key, raw_text, hit_token_limit=hit_limit, origin=origin, metrics=metrics)
            )
        return drafts

    def _origin(self, *, batch_size: int) -> DraftOrigin:
        return DraftOrigin(self.identity, batch_size, self.resolved_revision, self.profile)


def _until_stop(row: list[int], stop_ids: Sequence[int], max_new_tokens: int) -> tuple[list[int], bool]:
    """The generated tokens before the first stop token, and whether the token limit was hit.

    A row with no stop token ran until ``max_new_tokens``: generation only ends early once every
    row has stopped.
    """
    stops = set(stop_ids)
    for position, token in enumerate(row):
        if token in stops:
            return row[:position], False
    return row, len(row) >= max_new_tokens


def _stop_token_ids(model: Any, tokenizer: Any) -> list[int]:
    """Every token that ends a reply: the generation config's EOS ids plus the tokenizer's."""
    configured = model.generation_config.eos_token_id
    ids = list(configured) if isinstance(configured, list | tuple) else [configured]
    ids.append(tokenizer.eos_token_id)
    return sorted({int(i) for i in ids if i is not None})


def compile_reply_grammar(cfg: WorkerConfig, tokenizer: Any, model: Any) -> Any | None:
    """The xgrammar grammar of ``cfg.decoding`` for this tokenizer (milliseconds to a few seconds); None: free.

    schema: the profile's finding grammar (the six fields, its key spellings); json: any JSON object. Both bound
    whitespace as the profile's layout does; xgrammar's built-in JSON grammar does not (see `inference_worker.grammar`).
    """
    if cfg.decoding == "free":
        return None
    import xgrammar

    # The lm_head can be wider than the tokenizer (Qwen pads to 151936); the mask must match it.
    tokenizer_info = xgrammar.TokenizerInfo.from_huggingface(
        tokenizer,
        vocab_size=model.config.get_text_config().vocab_size,
        stop_token_ids=_stop_token_ids(model, tokenizer),
    )
    compiler = xgrammar.GrammarCompiler(tokenizer_info)
    if cfg.decoding == "json":
        return compiler.compile_grammar(json_object_grammar(cfg.profile))
    return compiler.compile_grammar(finding_grammar(cfg.profile))


def resolve_device(device: str) -> torch.device:
    """The torch device for a ``DERMREVIEW_DEVICE`` value; `ModelLoadError` if CUDA is missing."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ModelLoadError("DERMREVIEW_DEVICE=cuda, but no CUDA device is available")
    return torch.device(device)


def resolve_dtype(dtype: str, device: torch.device) -> torch.dtype:
    """The torch dtype for a ``DERMREVIEW_DTYPE`` value on ``device``."""
    if dtype == "auto":
        # bf16 halves memory and is fast on GPUs; CPUs mostly lack fast bf16 matmuls.
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    return {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}[dtype]


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
