"""The inference worker's model and engine. Parsed by `inference_worker.WorkerConfig`, which never imports Django.

The defaults are read from `WorkerConfig` itself, so these tables cannot drift from what the worker does; the
settings build the config through `registry.worker_config()`.
"""

from __future__ import annotations

from dermreview.settings.variable import HUGGING_FACE, INFERENCE_WORKER, Section, Variable
from inference_worker import WorkerConfig

_DEFAULT = WorkerConfig()

SECTION = Section("AI model (inference worker)", (
    Variable(
        "DERMREVIEW_MODEL", "str", default=_DEFAULT.model, read_by=INFERENCE_WORKER,
        meaning="Hub id or local directory of the model. `make run` with it unset uses a tiny random test model.",
    ),
    Variable(
        "DERMREVIEW_MODEL_REVISION", "str", default=_DEFAULT.model_revision, read_by=INFERENCE_WORKER,
        meaning="Hub revision; stored with every draft.",
    ),
    Variable(
        "DERMREVIEW_BACKEND", "choice", default=_DEFAULT.backend, choices=("transformers", "openai"), read_by=INFERENCE_WORKER,
        meaning="`transformers` (the model in the worker process) or `openai` (any OpenAI-compatible server, e.g. "
                "vLLM).",
    ),
    Variable(
        "DERMREVIEW_DEVICE", "choice", default=_DEFAULT.device, choices=("auto", "cuda", "cpu"), read_by=INFERENCE_WORKER,
        meaning="`auto`, `cuda` or `cpu`.",
    ),
    Variable(
        "DERMREVIEW_DTYPE", "choice", default=_DEFAULT.dtype, choices=("auto", "bfloat16", "float16", "float32"),
        read_by=INFERENCE_WORKER,
        meaning="`auto` (bfloat16 on CUDA, float32 on CPU), `bfloat16` (`bf16`), `float16` (`fp16`), `float32`.",
    ),
    Variable(
        "DERMREVIEW_ATTN_IMPL", "str", default=_DEFAULT.attn_implementation, read_by=INFERENCE_WORKER,
        meaning="transformers attention implementation (`sdpa`, `eager`, `flash_attention_2`, ...).",
    ),
    Variable(
        "DERMREVIEW_MIN_PIXELS", "int", default=_DEFAULT.min_pixels, minimum=32 * 32, read_by=INFERENCE_WORKER,
        meaning="Smallest image size fed to the model, pixels (Qwen3-VL: one visual token per 32×32).",
    ),
    Variable(
        "DERMREVIEW_MAX_PIXELS", "int", default=_DEFAULT.max_pixels, minimum=32 * 32, read_by=INFERENCE_WORKER,
        meaning="Largest, so a 12 MP photo does not become 12,000 tokens.",
    ),
    Variable(
        "DERMREVIEW_MAX_NEW_TOKENS", "int", default=_DEFAULT.max_new_tokens, minimum=1, read_by=INFERENCE_WORKER,
        meaning="Generation cap per draft.",
    ),
    Variable(
        "DERMREVIEW_BATCH_SIZE", "int", default=_DEFAULT.batch_size, minimum=1, read_by=INFERENCE_WORKER,
        meaning="Photos per micro-batch.",
    ),
    Variable(
        "DERMREVIEW_BATCH_WAIT_MS", "int", default=_DEFAULT.batch_wait_ms, minimum=0, read_by=INFERENCE_WORKER,
        meaning="Longest wait to fill a micro-batch, ms.",
    ),
    Variable(
        "DERMREVIEW_CONSTRAINED", "bool", default=_DEFAULT.constrained, read_by=INFERENCE_WORKER,
        meaning="JSON-schema-constrained decoding (xgrammar on the transformers backend, `response_format` on "
                "openai).",
    ),
    Variable(
        "DERMREVIEW_OPENAI_BASE_URL", "url", default=_DEFAULT.openai_base_url, choices=("http", "https"), read_by=INFERENCE_WORKER,
        meaning="`openai` backend: the server's URL (ending in `/v1`). Required for that backend.",
    ),
    Variable(
        "DERMREVIEW_OPENAI_API_KEY", "str", default=_DEFAULT.openai_api_key, read_by=INFERENCE_WORKER,
        meaning="Its API key, sent as `Authorization: Bearer ...` when set.",
    ),
    Variable(
        "DERMREVIEW_OPENAI_MODEL", "str", default=_DEFAULT.openai_model, shown_default="`DERMREVIEW_MODEL`",
        read_by=INFERENCE_WORKER, meaning="The served model's name.",
    ),
    Variable(
        "DERMREVIEW_OPENAI_TIMEOUT_S", "float", default=_DEFAULT.openai_timeout_s, minimum=0.001, read_by=INFERENCE_WORKER,
        meaning="Per-request timeout, seconds.",
    ),
    Variable(
        "DERMREVIEW_OPENAI_MAX_RETRIES", "int", default=_DEFAULT.openai_max_retries, minimum=0, read_by=INFERENCE_WORKER,
        meaning="Retries on connection errors, timeouts, 5xx and 429.",
    ),
    Variable(
        "DERMREVIEW_OPENAI_CONCURRENCY", "int", default=_DEFAULT.openai_concurrency, minimum=1, read_by=INFERENCE_WORKER,
        meaning="Requests in flight per worker.",
    ),
    Variable(
        "HF_HUB_OFFLINE", "bool", default=None, example="1", read_by=HUGGING_FACE,
        meaning="`1`: never reach the Hugging Face hub at run time; the model was fetched with `make fetch-model` "
                "(docker compose sets it).",
    ),
))
