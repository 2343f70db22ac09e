"""Worker settings, read once from the environment.

Every malformed value fails at start-up with a `ValueError` naming the variable and the value, so
a typo in a deployment shows up when the worker boots rather than as odd drafts later.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeVar, cast

from inference_worker.profile import PromptProfile, load_profile
from inference_worker.types import BackendName

DEFAULT_MODEL = "0xAgamy/unsloth_Qwen3vl_finetune"
# Qwen3-VL sees one token per 32x32 pixels (patch 16, merged 2x2). The bounds are in pixels.
PIXELS_PER_VISUAL_TOKEN = 32 * 32
DEFAULT_MIN_PIXELS = 64 * PIXELS_PER_VISUAL_TOKEN  # 256x256: below this lesion texture is lost
DEFAULT_MAX_PIXELS = 512 * PIXELS_PER_VISUAL_TOKEN  # about 724x724, 512 visual tokens: the card profile's budget

DeviceName = Literal["auto", "cuda", "cpu"]
# schema: a grammar derived from the prompt profile (its key spellings, order and layout) holds the reply to the
# six fields; json: any JSON object (xgrammar's built-in JSON grammar, `json_object` on a server); free: none.
DecodingMode = Literal["schema", "json", "free"]
DECODING_MODES: tuple[str, ...] = ("schema", "json", "free")
DtypeName = Literal["auto", "bfloat16", "float16", "float32"]
# The request field that carries the schema grammar to an OpenAI-compatible server: current vLLM reads
# "structured_outputs": {"grammar": ...}; older releases read "guided_grammar" (see the OpenAI engine).
GrammarField = Literal["structured_outputs", "guided_grammar"]
GRAMMAR_FIELDS: tuple[str, ...] = ("structured_outputs", "guided_grammar")

_T = TypeVar("_T")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    """Everything an engine needs; hashable, so it keys the per-process engine cache."""

    model: str = DEFAULT_MODEL
    model_revision: str = "main"
    device: DeviceName = "auto"
    dtype: DtypeName = "auto"
    attn_implementation: str = "sdpa"
    min_pixels: int = DEFAULT_MIN_PIXELS
    # 0: the prompt profile's image budget (the Unsloth profile: 256 visual tokens, as its training collator).
    max_pixels: int = 0
    # The six fields at their longest JSON come to about 450-500 tokens; 512 leaves a margin.
    max_new_tokens: int = 512
    batch_size: int = 8
    # How long the caller's micro-batcher waits to fill a batch; the engine itself never waits.
    batch_wait_ms: int = 200
    backend: BackendName = "transformers"
    openai_base_url: str = ""
    openai_api_key: str = field(default="", repr=False)
    openai_model: str = ""
    openai_timeout_s: float = 60.0
    openai_max_retries: int = 3
    openai_concurrency: int = 4
    openai_grammar_field: GrammarField = "structured_outputs"
    # A built-in profile name (inference_worker/profiles/<name>.toml) or the path of a profile file.
    prompt_profile: str = "card"
    decoding: DecodingMode = "schema"
    # A LoRA adapter is loaded onto its base: the base named in adapter_config.json unless set here (for
    # instance the full-precision base instead of a 4-bit Unsloth one); the revision pins the base's repository.
    base_model: str = ""
    base_model_revision: str = "main"
    # Where an adapter merged into its base is kept, so the merge happens once per (adapter, base) pair.
    model_cache_dir: str = ""

    @property
    def constrained(self) -> bool:
        """Whether any grammar holds the reply (schema or json decoding)."""
        return self.decoding != "free"

    def __post_init__(self) -> None:
        _check(self.device in ("auto", "cuda", "cpu"), "DERMREVIEW_DEVICE", self.device)
        _check(self.dtype in ("auto", "bfloat16", "float16", "float32"), "DERMREVIEW_DTYPE", self.dtype)
        _check(self.backend in ("transformers", "openai"), "DERMREVIEW_BACKEND", self.backend)
        _check(bool(self.model.strip()), "DERMREVIEW_MODEL", self.model)
        _check(self.decoding in DECODING_MODES, "DERMREVIEW_DECODING", self.decoding,
               f"must be one of {', '.join(DECODING_MODES)}")
        _check(bool(self.prompt_profile.strip()), "DERMREVIEW_PROMPT", self.prompt_profile)
        _check(self.openai_grammar_field in GRAMMAR_FIELDS, "DERMREVIEW_OPENAI_GRAMMAR_FIELD",
               self.openai_grammar_field, f"must be one of {', '.join(GRAMMAR_FIELDS)}")
        profile = self.profile  # a ValueError naming DERMREVIEW_PROMPT, the file and the problem
        _check(
            self.min_pixels >= PIXELS_PER_VISUAL_TOKEN,
            "DERMREVIEW_MIN_PIXELS",
            self.min_pixels,
            f"must be at least {PIXELS_PER_VISUAL_TOKEN}",
        )
        _check(
            self.max_pixels == 0 or self.max_pixels >= self.min_pixels,
            "DERMREVIEW_MAX_PIXELS",
            self.max_pixels,
            f"must be 0 (the prompt profile's budget) or at least DERMREVIEW_MIN_PIXELS ({self.min_pixels})",
        )
        _check(
            self.max_pixels != 0 or profile.max_pixels >= self.min_pixels,
            "DERMREVIEW_MIN_PIXELS",
            self.min_pixels,
            f"must not exceed the prompt profile's image budget ({profile.max_pixels}) while DERMREVIEW_MAX_PIXELS=0",
        )
        for name, value in (
            ("DERMREVIEW_MAX_NEW_TOKENS", self.max_new_tokens),
            ("DERMREVIEW_BATCH_SIZE", self.batch_size),
            ("DERMREVIEW_OPENAI_CONCURRENCY", self.openai_concurrency),
        ):
            _check(value >= 1, name, value, "must be at least 1")
        _check(self.batch_wait_ms >= 0, "DERMREVIEW_BATCH_WAIT_MS", self.batch_wait_ms, "must be >= 0")
        _check(
            self.openai_max_retries >= 0,
            "DERMREVIEW_OPENAI_MAX_RETRIES",
            self.openai_max_retries,
            "must be >= 0",
        )
        _check(
            self.openai_timeout_s > 0,
            "DERMREVIEW_OPENAI_TIMEOUT_S",
            self.openai_timeout_s,
            "must be positive",
        )
        if self.backend == "openai":
            _check(
                self.openai_base_url.startswith(("http://", "https://")),
                "DERMREVIEW_OPENAI_BASE_URL",
                self.openai_base_url,
                "must be an http(s) URL when DERMREVIEW_BACKEND=openai",
            )

    @property
    def profile(self) -> PromptProfile:
        """The prompt profile ``prompt_profile`` names (loaded once per file version, see `load_profile`)."""
        return load_profile(self.prompt_profile)

    @property
    def image_max_pixels(self) -> int:
        """The image budget in pixels that every engine resizes to: ``max_pixels``, or the profile's when it is 0."""
        return self.max_pixels or self.profile.max_pixels

    @property
    def served_model_name(self) -> str:
        """The model name sent to an OpenAI-compatible server."""
        return self.openai_model or self.model

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> WorkerConfig:
        """Read the ``DERMREVIEW_*`` variables; unset or empty ones take their defaults."""
        env = os.environ if environ is None else environ
        defaults = cls()

        def read(name: str, parse: Callable[[str], _T], default: _T) -> _T:
            raw = env.get(name, "").strip()
            if not raw:
                return default
            try:
                return parse(raw)
            except ValueError as exc:
                raise ValueError(f"{name}={raw!r} is malformed: {exc}") from None

        return cls(
            model=read("DERMREVIEW_MODEL", str, defaults.model),
            model_revision=read("DERMREVIEW_MODEL_REVISION", str, defaults.model_revision),
            device=cast(DeviceName, read("DERMREVIEW_DEVICE", str.lower, defaults.device)),
            dtype=cast(DtypeName, read("DERMREVIEW_DTYPE", _parse_dtype, defaults.dtype)),
            attn_implementation=read("DERMREVIEW_ATTN_IMPL", str, defaults.attn_implementation),
            min_pixels=read("DERMREVIEW_MIN_PIXELS", _parse_int, defaults.min_pixels),
            max_pixels=read("DERMREVIEW_MAX_PIXELS", _parse_int, defaults.max_pixels),
            max_new_tokens=read("DERMREVIEW_MAX_NEW_TOKENS", _parse_int, defaults.max_new_tokens),
            batch_size=read("DERMREVIEW_BATCH_SIZE", _parse_int, defaults.batch_size),
            batch_wait_ms=read("DERMREVIEW_BATCH_WAIT_MS", _parse_int, defaults.batch_wait_ms),
            backend=cast(BackendName, read("DERMREVIEW_BACKEND", str.lower, defaults.backend)),
            openai_base_url=read("DERMREVIEW_OPENAI_BASE_URL", _parse_url, defaults.openai_base_url),
            openai_api_key=read("DERMREVIEW_OPENAI_API_KEY", str, defaults.openai_api_key),
            openai_model=read("DERMREVIEW_OPENAI_MODEL", str, defaults.openai_model),
            openai_timeout_s=read("DERMREVIEW_OPENAI_TIMEOUT_S", _parse_float, defaults.openai_timeout_s),
            openai_max_retries=read("DERMREVIEW_OPENAI_MAX_RETRIES", _parse_int, defaults.openai_max_retries),
            openai_concurrency=read("DERMREVIEW_OPENAI_CONCURRENCY", _parse_int, defaults.openai_concurrency),
            openai_grammar_field=cast(GrammarField, read("DERMREVIEW_OPENAI_GRAMMAR_FIELD", str.lower,
                                                         defaults.openai_grammar_field)),
            prompt_profile=read("DERMREVIEW_PROMPT", str, defaults.prompt_profile),
            decoding=cast(DecodingMode, read("DERMREVIEW_DECODING", str.lower, _legacy_decoding(env, defaults))),
            base_model=read("DERMREVIEW_BASE_MODEL", str, defaults.base_model),
            base_model_revision=read("DERMREVIEW_BASE_MODEL_REVISION", str, defaults.base_model_revision),
            model_cache_dir=read("DERMREVIEW_MODEL_CACHE", str, defaults.model_cache_dir),
        )


def _legacy_decoding(env: Mapping[str, str], defaults: WorkerConfig) -> DecodingMode:
    """The decoding mode when DERMREVIEW_DECODING is unset: DERMREVIEW_CONSTRAINED=0 (the older switch) means free."""
    raw = env.get("DERMREVIEW_CONSTRAINED", "").strip()
    if not raw:
        return defaults.decoding
    try:
        return "schema" if _parse_bool(raw) else "free"
    except ValueError as exc:
        raise ValueError(f"DERMREVIEW_CONSTRAINED={raw!r} is malformed: {exc}") from None


def _check(ok: bool, name: str, value: object, why: str = "") -> None:
    if not ok:
        detail = f": {why}" if why else ""
        raise ValueError(f"{name}={value!r} is invalid{detail}")


def _parse_int(raw: str) -> int:
    try:
        return int(raw.replace("_", ""))
    except ValueError:
        raise ValueError("expected a whole number") from None


def _parse_float(raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise ValueError("expected a number") from None


def _parse_bool(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError("expected one of 1/0, true/false, yes/no, on/off")


def _parse_dtype(raw: str) -> str:
    aliases = {"bf16": "bfloat16", "fp16": "float16", "half": "float16", "fp32": "float32"}
    lowered = raw.lower()
    return aliases.get(lowered, lowered)


def _parse_url(raw: str) -> str:
    # "/chat/completions" is appended, so a trailing slash would double up.
    return raw.rstrip("/")
