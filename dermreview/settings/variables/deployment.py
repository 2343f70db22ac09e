"""Read by the launchers, not by Django: `make run`, docker compose and gunicorn."""

from __future__ import annotations

from dermreview.settings.variable import COMPOSE, DEVSERVER, GUNICORN, Section, Variable

SECTION = Section("`make run` and docker compose only", (
    Variable(
        "DERMREVIEW_HOST", "str", default="127.0.0.1:8000", read_by=DEVSERVER,
        meaning="`make run`: address of the development server.",
    ),
    Variable(
        "DERMREVIEW_DEV_MODEL", "choice", default="demo", choices=("demo", "tiny"), read_by=DEVSERVER,
        meaning="`make run` with DERMREVIEW_MODEL unset: `demo` trains (once, about 3-4 minutes on two cores, cached "
                "in var/models/) and serves a small model trained on synthetic lesion drawings, whose drafts read "
                "the photo; `tiny` serves the tiny random test model at once (meaningless drafts).",
    ),
    Variable(
        "DERMREVIEW_WORKER_CONCURRENCY", "int", default=2, minimum=1, read_by=DEVSERVER,
        meaning="`make run`: threads of its scoring and beat worker.",
    ),
    Variable(
        "POSTGRES_PASSWORD", "str", default=None, read_by=COMPOSE,
        required_in_production="URL-safe characters, e.g. `openssl rand -hex 24`",
        meaning="compose: PostgreSQL password (URL-safe characters, e.g. `openssl rand -hex 24`). **Required.**",
    ),
    Variable(
        "VLLM_API_KEY", "str", default="", read_by=COMPOSE,
        meaning="compose, `vllm` profile: the bearer key vLLM's server requires and the `openai` backend sends "
                "(e.g. `openssl rand -hex 24`).",
    ),
    Variable(
        "VLLM_IMAGE_TAG", "str", default="v0.12.0", read_by=COMPOSE,
        meaning="compose, `vllm` profile: tag of the `vllm/vllm-openai` image (a release with Qwen3-VL and "
                "`structured_outputs`).",
    ),
    Variable(
        "VLLM_MODEL_DIR", "str", default="unsloth_Qwen3vl_finetune", read_by=COMPOSE,
        meaning="compose, `vllm` profile: the merged model's directory under the `models` volume.",
    ),
    Variable(
        "VLLM_GPU_MEMORY_UTILIZATION", "float", default=0.90, read_by=COMPOSE,
        meaning="compose, `vllm` profile: share of the GPU's memory vLLM may take (weights and KV cache).",
    ),
    Variable(
        "DERMREVIEW_HTTP_PORT", "int", default=80, read_by=COMPOSE,
        meaning="compose: published HTTP port (redirects to HTTPS).",
    ),
    Variable("DERMREVIEW_HTTPS_PORT", "int", default=443, read_by=COMPOSE, meaning="compose: published HTTPS port."),
    Variable(
        "DERMREVIEW_TLS_DIR", "str", default="./deploy/certs", read_by=COMPOSE,
        meaning="compose: folder with `fullchain.pem` and `privkey.pem` for nginx.",
    ),
    Variable(
        "DERMREVIEW_SCORING_CONCURRENCY", "int", default=4, minimum=1, read_by=COMPOSE,
        meaning="compose: threads of the scoring/default-queue worker.",
    ),
    Variable(
        "GUNICORN_WORKERS", "int", default=None, minimum=1, shown_default="2 × CPUs + 1 (at most 9)", example="",
        read_by=GUNICORN, meaning="compose: gunicorn processes.",
    ),
    Variable(
        "GUNICORN_THREADS", "int", default=4, minimum=1, read_by=GUNICORN,
        meaning="compose: threads per gunicorn process.",
    ),
    Variable(
        "GUNICORN_TIMEOUT", "int", default=120, minimum=1, read_by=GUNICORN,
        meaning="compose: gunicorn worker timeout, seconds.",
    ),
    Variable(
        "GUNICORN_BIND", "str", default="0.0.0.0:8000", read_by=GUNICORN,  # noqa: S104 - documentation only
        meaning="compose: gunicorn's listening address inside its container.",
    ),
))
