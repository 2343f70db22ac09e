"""The inference worker's model and engine. Parsed by `inference_worker.WorkerConfig`, which never imports Django.

The defaults are read from `WorkerConfig` itself, so these tables cannot drift from what the worker does; the
settings build the config through `registry.worker_config()`.
"""

from __future__ import annotations

from dermreview.settings.variable import HUGGING_FACE, INFERENCE_WORKER, Section, Variable
from inference_worker import WorkerConfig
from inference_worker.config import DECODING_MODES, GRAMMAR_FIELDS

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
        "DERMREVIEW_MAX_PIXELS", "int", default=_DEFAULT.max_pixels, minimum=0, read_by=INFERENCE_WORKER,
        meaning="Largest image fed to the model, pixels, so a 12 MP photo does not become 12,000 tokens. `0`: the "
                "prompt profile's budget (`card` 512 visual tokens, `unsloth` 256, as the fine-tune was trained); "
                "otherwise at least `DERMREVIEW_MIN_PIXELS`.",
    ),
    Variable(
        "DERMREVIEW_MAX_NEW_TOKENS", "int", default=_DEFAULT.max_new_tokens, minimum=1, read_by=INFERENCE_WORKER,
        meaning="Generation cap per draft (the six fields at their longest come to about 500 tokens); a reply cut "
                "off at the cap goes to manual entry.",
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
        "DERMREVIEW_PROMPT", "str", default=_DEFAULT.prompt_profile, read_by=INFERENCE_WORKER,
        meaning="Prompt profile: `card` (the model card's contract: the lesion type is a clinical classification "
                "such as melanoma or naevus, an AI suggestion for review; image before text; 512 visual tokens), "
                "`unsloth` (the Unsloth vision notebook's fixed instruction, text before image, 256 visual tokens), "
                "or the path of a profile `.toml` file. Its name, version and content hash, with the decoding mode, "
                "make the prompt version stored with every draft.",
    ),
    Variable(
        "DERMREVIEW_DECODING", "choice", default=_DEFAULT.decoding, choices=DECODING_MODES,
        shown_default=f"`{_DEFAULT.decoding}` (`free` when `DERMREVIEW_CONSTRAINED=0`)", read_by=INFERENCE_WORKER,
        meaning="`schema`: a grammar built from the prompt profile holds the reply to the six fields (xgrammar on "
                "the transformers backend, structured outputs on openai); `json`: any JSON object; `free`: "
                "unconstrained.",
    ),
    Variable(
        "DERMREVIEW_CONSTRAINED", "bool", default=None, example="", read_by=INFERENCE_WORKER,
        meaning="Legacy spelling of `DERMREVIEW_DECODING`, read only when that is unset: `0` means `free`, `1` "
                "`schema`.",
    ),
    Variable(
        "DERMREVIEW_BASE_MODEL", "str", default=_DEFAULT.base_model, read_by=INFERENCE_WORKER,
        meaning="A LoRA adapter (`adapter_config.json`) is merged onto this base model (hub id or directory) "
                "instead of the base its config names, e.g. the full-precision `Qwen/Qwen3-VL-2B-Instruct` for a "
                "4-bit Unsloth base. Empty: the adapter's own.",
    ),
    Variable(
        "DERMREVIEW_BASE_MODEL_REVISION", "str", default=_DEFAULT.base_model_revision, read_by=INFERENCE_WORKER,
        meaning="Hub revision of that base; pin it to a commit in production.",
    ),
    Variable(
        "DERMREVIEW_MODEL_CACHE", "path", default=_DEFAULT.model_cache_dir, example="",
        shown_default="`~/.cache/dermreview/merged`", read_by=INFERENCE_WORKER,
        meaning="Where an adapter merged onto its base is kept, so the merge happens once per (adapter, base) pair.",
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
        "DERMREVIEW_OPENAI_GRAMMAR_FIELD", "choice", default=_DEFAULT.openai_grammar_field, choices=GRAMMAR_FIELDS,
        read_by=INFERENCE_WORKER,
        meaning="`openai` backend with `DERMREVIEW_DECODING=schema`: the request field that carries the grammar. "
                "`structured_outputs` (current vLLM), `guided_grammar` (older vLLM releases).",
    ),
    Variable(
        "HF_HUB_OFFLINE", "bool", default=None, example="1", read_by=HUGGING_FACE,
        meaning="`1`: never reach the Hugging Face hub at run time; the model was fetched with `make fetch-model` "
                "(docker compose sets it).",
    ),
))
