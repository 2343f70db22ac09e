"""Settings shared by every environment. Values come from the environment (see .env.example)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from dermreview.settings.env import (
    env_bool,
    env_choice,
    env_database,
    env_float,
    env_int,
    env_list,
    env_str,
    secret_key_from_env_or_file,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("DERMREVIEW_VAR_DIR", str(BASE_DIR / "var"))).resolve()

SECRET_KEY = secret_key_from_env_or_file(VAR_DIR)
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])
# On only when a reverse proxy we run (deploy/nginx.conf) is the sole way in: it sets X-Real-IP.
DERMREVIEW_BEHIND_PROXY = env_bool("DERMREVIEW_BEHIND_PROXY", False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "dermreview.core",
    "dermreview.accounts",
    "dermreview.audit",
    "dermreview.cases",
    "dermreview.drafting",
    "dermreview.review",
    "dermreview.api",
    "dermreview.oversight",
]

MIDDLEWARE = [
    # First: everything after it (axes, the audit trail) must see the client's address, not nginx's.
    "dermreview.core.middleware.ReverseProxyClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Services take domain arguments only; the audit writer reads the address and actor from here.
    "dermreview.audit.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "dermreview.core.middleware.SecurityHeadersMiddleware",
    # AxesMiddleware last, as django-axes documents.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dermreview.urls"
WSGI_APPLICATION = "dermreview.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dermreview.core.context_processors.dermreview",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
DATABASES = {"default": env_database("DATABASE_URL", f"sqlite:///{VAR_DIR / 'dermreview.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the Celery worker write from separate processes: WAL lets readers proceed
    # while one writes, and IMMEDIATE transactions queue writers instead of failing with "locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", "transaction_mode": "IMMEDIATE",
         "timeout": 30}
    )
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-dermreview.sqlite3")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 0, minimum=0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts and security ------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "cases:list"
LOGOUT_REDIRECT_URL = "login"

SESSION_COOKIE_AGE = env_int("DERMREVIEW_SESSION_AGE_S", 8 * 3600, minimum=60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_SAVE_EVERY_REQUEST = True  # idle expiry: the age counts from the last request
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # the upload page's fetch() reads it
CSRF_FAILURE_VIEW = "dermreview.core.views.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

AXES_FAILURE_LIMIT = env_int("DERMREVIEW_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("DERMREVIEW_LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
# A username is locked from the address that failed, so one attacker cannot lock a whole clinic behind one NAT.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

# --- Static and private media ---------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("DERMREVIEW_STATIC_ROOT", str(VAR_DIR / "staticfiles")))
# Photos are patient data. They are never under a public URL: the protected media view checks access
# on every request. MEDIA_URL stays unset on purpose.
MEDIA_ROOT = Path(env_str("DERMREVIEW_MEDIA_ROOT", str(VAR_DIR / "media"))).resolve()
DERMREVIEW_MEDIA_SERVE = env_choice("DERMREVIEW_MEDIA_SERVE", "django", ("django", "x-accel-redirect", "x-sendfile"))
DERMREVIEW_MEDIA_ACCEL_PREFIX = env_str("DERMREVIEW_MEDIA_ACCEL_PREFIX", "/protected-media/")
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        # No "location": the storage follows MEDIA_ROOT, so tests can point it at a temporary folder.
        "OPTIONS": {"file_permissions_mode": 0o600, "directory_permissions_mode": 0o700},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Uploads --------------------------------------------------------------------------------------
DERMREVIEW_UPLOAD_MAX_BYTES = env_int("DERMREVIEW_UPLOAD_MAX_BYTES", 25 * 1024 * 1024, minimum=1024)
DERMREVIEW_UPLOAD_MAX_FILES = env_int("DERMREVIEW_UPLOAD_MAX_FILES", 20, minimum=1)
DERMREVIEW_UPLOAD_MAX_PIXELS = env_int("DERMREVIEW_UPLOAD_MAX_PIXELS", 50_000_000, minimum=10_000)
DERMREVIEW_THUMBNAIL_SIZE = env_int("DERMREVIEW_THUMBNAIL_SIZE", 320, minimum=64)
# Django's own guards sit just above ours so that our per-file messages are the ones users see.
DATA_UPLOAD_MAX_NUMBER_FILES = DERMREVIEW_UPLOAD_MAX_FILES + 1
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_TEMP_DIR = None
FILE_UPLOAD_PERMISSIONS = 0o600

# --- Review policy --------------------------------------------------------------------------------
DERMREVIEW_HIGH_RISK_CLASSES = [
    c.lower() for c in env_list(
        "DERMREVIEW_HIGH_RISK_CLASSES", ["melanoma", "basal cell carcinoma", "squamous cell carcinoma"]
    )
]
DERMREVIEW_BLIND_FIRST_SHARE = env_float("DERMREVIEW_BLIND_FIRST_SHARE", 0.10, minimum=0.0, maximum=1.0)
DERMREVIEW_CLAIM_MINUTES = env_int("DERMREVIEW_CLAIM_MINUTES", 30, minimum=1)

# --- Inference ------------------------------------------------------------------------------------
DERMREVIEW_DRAFTING_ENABLED = env_bool("DERMREVIEW_DRAFTING_ENABLED", True)
DERMREVIEW_DRAFT_MAX_ATTEMPTS = env_int("DERMREVIEW_DRAFT_MAX_ATTEMPTS", 5, minimum=1)
DERMREVIEW_DRAFT_SOFT_TIME_LIMIT_S = env_int("DERMREVIEW_DRAFT_SOFT_TIME_LIMIT_S", 300, minimum=5)
DERMREVIEW_DRAFT_HARD_TIME_LIMIT_S = env_int("DERMREVIEW_DRAFT_HARD_TIME_LIMIT_S", 360, minimum=10)
# Transient failures (model load, database hiccup) are retried after base * 2**(attempts-1) seconds, capped.
DERMREVIEW_DRAFT_RETRY_BACKOFF_S = env_int("DERMREVIEW_DRAFT_RETRY_BACKOFF_S", 30, minimum=1)
DERMREVIEW_DRAFT_RETRY_BACKOFF_MAX_S = env_int("DERMREVIEW_DRAFT_RETRY_BACKOFF_MAX_S", 600, minimum=1)
# A `running` draft whose claim is older than this is taken to be orphaned (its worker died) and is requeued.
DERMREVIEW_RECONCILE_AFTER_S = env_int("DERMREVIEW_RECONCILE_AFTER_S", 600, minimum=5)
# A `queued` draft nobody has claimed after this long gets its task sent again (the message may be lost).
DERMREVIEW_RECONCILE_QUEUED_AFTER_S = env_int("DERMREVIEW_RECONCILE_QUEUED_AFTER_S", 30, minimum=1)
DERMREVIEW_RECONCILE_EVERY_S = env_int("DERMREVIEW_RECONCILE_EVERY_S", 60, minimum=1)
DERMREVIEW_HEARTBEAT_EVERY_S = env_int("DERMREVIEW_HEARTBEAT_EVERY_S", 30, minimum=1)
# Micro-batching: a worker stops waiting for more drafts (at most DERMREVIEW_BATCH_WAIT_MS in all) as soon as this
# long passes with no new arrival, so a lone upload is not held back by the full batch wait.
DERMREVIEW_DRAFT_BATCH_IDLE_MS = env_int("DERMREVIEW_DRAFT_BATCH_IDLE_MS", 10, minimum=0)
if DERMREVIEW_DRAFT_HARD_TIME_LIMIT_S <= DERMREVIEW_DRAFT_SOFT_TIME_LIMIT_S:
    raise ImproperlyConfigured("DERMREVIEW_DRAFT_HARD_TIME_LIMIT_S must exceed DERMREVIEW_DRAFT_SOFT_TIME_LIMIT_S")
if DERMREVIEW_RECONCILE_AFTER_S <= DERMREVIEW_DRAFT_HARD_TIME_LIMIT_S:
    # Otherwise the reconciler would requeue a draft whose healthy worker is still within its time limit.
    raise ImproperlyConfigured("DERMREVIEW_RECONCILE_AFTER_S must exceed DERMREVIEW_DRAFT_HARD_TIME_LIMIT_S")
# The inference worker's own settings (DERMREVIEW_MODEL, _BACKEND, _BATCH_SIZE, _BATCH_WAIT_MS, ...), parsed by
# inference_worker (no torch import) so that the web tier records the same model identity the workers use, and a
# malformed value stops start-up here rather than in the first task.
try:
    from inference_worker import WorkerConfig

    DERMREVIEW_WORKER_CONFIG = WorkerConfig.from_env()
except ValueError as exc:
    raise ImproperlyConfigured(str(exc)) from None

# --- Agreement scoring ----------------------------------------------------------------------------
BERTSCORE_MODEL = env_str("BERTSCORE_MODEL", "all-MiniLM-L6-v2")
BERTSCORE_NUM_LAYERS = env_int("BERTSCORE_NUM_LAYERS", 6, minimum=1)

# --- Celery ---------------------------------------------------------------------------------------
BROKER_DIR = Path(env_str("DERMREVIEW_BROKER_DIR", str(VAR_DIR / "broker")))
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.split("://", 1)[0] not in {"filesystem", "redis", "rediss", "amqp", "memory"}:
    # Name the scheme only: a broker URL may carry a password.
    raise ImproperlyConfigured(
        "CELERY_BROKER_URL must be filesystem://, redis://, rediss://, amqp:// or memory://, "
        f"got scheme {CELERY_BROKER_URL.split('://', 1)[0]!r}"
    )
if CELERY_BROKER_URL.startswith("filesystem://"):
    # Server-less default: real multi-process Celery through a folder, no Redis needed.
    for sub in ("queue", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        # Without this kombu writes its exchange files into ./control of whatever the working directory is.
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
        # kombu polls the folder (1 s by default): every upload would wait on average half of it for its draft.
        "polling_interval": env_float("DERMREVIEW_BROKER_POLL_S", 0.02, minimum=0.001),
    }
else:
    # Redis redelivers an unacknowledged task after visibility_timeout: keep it above the hard limit so a
    # long but healthy generation is never run twice.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int(
            "CELERY_VISIBILITY_TIMEOUT_S", DERMREVIEW_DRAFT_HARD_TIME_LIMIT_S + 120, minimum=1
        ),
    }
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "dermreview.drafting.tasks.draft_generate": {"queue": "gpu"},
    "dermreview.review.tasks.agreement_score": {"queue": "scoring"},
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery's Django fixup closes every database connection around every task unless this is set; DermReview's
# task signals (dermreview/celery.py) apply Django's own rule instead (DATABASE_CONN_MAX_AGE, errors), so a worker
# run with DATABASE_CONN_MAX_AGE=300 keeps its connection instead of reconnecting for each draft.
CELERY_DB_REUSE_MAX = 1_000_000
CELERY_BEAT_SCHEDULE = {
    # The database is the source of truth for drafts; this re-sends whatever the queue lost (see draft_reconcile).
    "drafts-reconcile": {
        "task": "dermreview.drafting.tasks.drafts_reconcile",
        "schedule": float(DERMREVIEW_RECONCILE_EVERY_S),
        "options": {"queue": "default", "expires": float(DERMREVIEW_RECONCILE_EVERY_S)},
    },
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = "UTC"

# --- Oversight: automation-bias and drift alarms, live model card ----------------------------------
from celery.schedules import crontab as _crontab  # noqa: E402

# Rubber-stamping: a reviewer whose last WINDOW sign-offs of AI drafts were accepted unchanged at a rate above
# RATE, with a median time on task under MEDIAN_S seconds. The window must be full before it can fire.
DERMREVIEW_ALARM_RUBBER_STAMP_WINDOW = env_int("DERMREVIEW_ALARM_RUBBER_STAMP_WINDOW", 50, minimum=1)
DERMREVIEW_ALARM_RUBBER_STAMP_RATE = env_float("DERMREVIEW_ALARM_RUBBER_STAMP_RATE", 0.95, minimum=0.0, maximum=1.0)
DERMREVIEW_ALARM_RUBBER_STAMP_MEDIAN_S = env_float("DERMREVIEW_ALARM_RUBBER_STAMP_MEDIAN_S", 15.0, minimum=0.0)
# High-risk drafts never edited: a reviewer whose last MIN sign-offs of high-risk drafts (the case is high-risk
# or the draft names a DERMREVIEW_HIGH_RISK_CLASSES class) were all accepted without a single edit.
DERMREVIEW_ALARM_HIGH_RISK_MIN = env_int("DERMREVIEW_ALARM_HIGH_RISK_MIN", 10, minimum=1)
# Drift: per scorer, model version and field, the mean draft-vs-final F1 of the last WINDOW_DAYS falling more than
# MARGIN below the mean of the model version's first BASELINE_DAYS; each side needs at least MIN_N scores.
DERMREVIEW_ALARM_DRIFT_MARGIN = env_float("DERMREVIEW_ALARM_DRIFT_MARGIN", 0.05, minimum=0.0, maximum=1.0)
DERMREVIEW_ALARM_DRIFT_BASELINE_DAYS = env_int("DERMREVIEW_ALARM_DRIFT_BASELINE_DAYS", 30, minimum=1)
DERMREVIEW_ALARM_DRIFT_WINDOW_DAYS = env_int("DERMREVIEW_ALARM_DRIFT_WINDOW_DAYS", 30, minimum=1)
DERMREVIEW_ALARM_DRIFT_MIN_N = env_int("DERMREVIEW_ALARM_DRIFT_MIN_N", 20, minimum=2)
# The daily evaluation and digest email to the organisation's auditors and admins (Celery beat, UTC).
DERMREVIEW_OVERSIGHT_DAILY_HOUR = env_int("DERMREVIEW_OVERSIGHT_DAILY_HOUR", 6, minimum=0)
if DERMREVIEW_OVERSIGHT_DAILY_HOUR > 23:
    raise ImproperlyConfigured("DERMREVIEW_OVERSIGHT_DAILY_HOUR must lie between 0 and 23")
CELERY_BEAT_SCHEDULE["oversight-daily"] = {
    "task": "dermreview.oversight.tasks.oversight_daily",
    "schedule": _crontab(hour=DERMREVIEW_OVERSIGHT_DAILY_HOUR, minute=0),
    "options": {"queue": "default"},
}
# Rendered chart SVGs are cached this long, keyed by the plotted data itself (so never stale); 0 disables.
DERMREVIEW_OVERSIGHT_CHART_CACHE_S = env_int("DERMREVIEW_OVERSIGHT_CHART_CACHE_S", 300, minimum=0)
# Where people reach this installation: links in emails (the digest) are built on it.
DERMREVIEW_SITE_URL = env_str("DERMREVIEW_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- Cache ----------------------------------------------------------------------------------------
# API throttle counters and the token-use audit marks live here. The default is per process; with several
# gunicorn workers set DERMREVIEW_CACHE_URL=redis://host:6379/1 so they share one count.
DERMREVIEW_CACHE_URL = env_str("DERMREVIEW_CACHE_URL", "locmem://")
if DERMREVIEW_CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": DERMREVIEW_CACHE_URL}}
elif DERMREVIEW_CACHE_URL == "locmem://":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    raise ImproperlyConfigured(
        f"DERMREVIEW_CACHE_URL must be locmem:// or redis://..., got scheme {DERMREVIEW_CACHE_URL.split('://', 1)[0]!r}"
    )

# --- Email (alarm digests) ------------------------------------------------------------------------
EMAIL_BACKEND = env_str("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DJANGO_DEFAULT_FROM_EMAIL", "dermreview@localhost")

# --- REST API -------------------------------------------------------------------------------------
_RATE_RE = r"^\d+/(s|sec|second|m|min|minute|h|hour|d|day)$"


def _api_rate(name: str, default: str) -> str:
    import re

    value = env_str(name, default)
    if not re.match(_RATE_RE, value):
        raise ImproperlyConfigured(f"{name} must look like '10/min' (per s, min, hour or day), got {value!r}")
    return value


REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so that an anonymous call gets 401 with `WWW-Authenticate: Token` rather than a bare 403.
        "dermreview.api.authentication.AuditedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only: the browsable API would put HTML (and inline script) on API paths; /api/v1/docs/ is the browser.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "dermreview.api.schema.DermReviewAutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["dermreview.api.throttling.ActionScopedThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "api_token": _api_rate("DERMREVIEW_API_TOKEN_RATE", "10/min"),
        "api_upload": _api_rate("DERMREVIEW_API_UPLOAD_RATE", "60/min"),
        "api_export": _api_rate("DERMREVIEW_API_EXPORT_RATE", "30/hour"),
    },
    # Throttles key anonymous callers by REMOTE_ADDR, as django-axes does (behind nginx the proxy middleware sets
    # it from X-Real-IP): trusting X-Forwarded-For would let any client pick its own throttle bucket.
    "NUM_PROXIES": env_int("DERMREVIEW_API_NUM_PROXIES", 0, minimum=0),
    "EXCEPTION_HANDLER": "dermreview.api.errors.api_exception_handler",
    # `?format=` names the export format (json, csv, fhir), not a DRF renderer.
    "URL_FORMAT_OVERRIDE": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "DermReview API",
    "DESCRIPTION": (
        "AI dermatology drafts behind mandatory human review. An AI draft is never a diagnosis: every payload that "
        "carries one says `\"kind\": \"ai_draft\", \"reviewed\": false`. Only a reviewer's sign-off makes a finding "
        "final. Authenticate with `Authorization: Token <key>` (POST /api/v1/auth/token/) or a browser session. "
        "Errors are always JSON: `{\"error\": code, \"detail\": text, \"fields\": {field: [messages]}}`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema describes no patient data, but the whole app sits behind login: token or session.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from the installed drf-spectacular-sidecar: the docs page works without internet access.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "dermreview.cases.models.case.CaseStatus",
        "BodySiteEnum": "dermreview.cases.models.case.BodySite",
        "AiDraftKindEnum": "dermreview.api.serializers.common.KIND_AI_DRAFT",
        "SignedFindingKindEnum": "dermreview.api.serializers.common.KIND_SIGNED_FINDING",
        "BlindFindingKindEnum": "dermreview.api.serializers.common.KIND_BLIND_FINDING",
        "ExportRecordKindEnum": "dermreview.api.serializers.common.KIND_EXPORT_RECORD",
    },
}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
