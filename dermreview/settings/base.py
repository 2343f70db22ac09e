"""Settings shared by every environment.

Every value an operator may set comes from the environment through `env()`: the variables, their types, defaults and
bounds are registered in dermreview/settings/variables/ (.env.example and the README are generated from there).
Importing settings creates no folder; the one file it may write is the generated local secret key.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from dermreview.settings.env import secret_key_from_env_or_file
from dermreview.settings.registry import env, variable, worker_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = env("DERMREVIEW_VAR_DIR", default=BASE_DIR / "var").resolve()

SECRET_KEY = secret_key_from_env_or_file(VAR_DIR)
# The audit chain's HMAC key and its anchors outside the database (dermreview/audit/keys.py, services/anchors.py).
DERMREVIEW_AUDIT_KEY = env("DERMREVIEW_AUDIT_KEY")
DERMREVIEW_AUDIT_ANCHOR_FILE = env("DERMREVIEW_AUDIT_ANCHOR_FILE", default=VAR_DIR / "audit-anchors.jsonl")
DERMREVIEW_AUDIT_ANCHOR_EVERY_S = env("DERMREVIEW_AUDIT_ANCHOR_EVERY_S")
# PostgreSQL: the role the app logs in as; `migrate` (run as the owner) grants it its privileges.
DERMREVIEW_DB_APP_ROLE = env("DERMREVIEW_DB_APP_ROLE")
DEBUG = env("DJANGO_DEBUG")
ALLOWED_HOSTS = env("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env("DJANGO_CSRF_TRUSTED_ORIGINS")
# On only when a reverse proxy we run (deploy/nginx.conf) is the sole way in: it sets X-Real-IP.
DERMREVIEW_BEHIND_PROXY = env("DERMREVIEW_BEHIND_PROXY")

INSTALLED_APPS = [
    "dermreview.accounts.admin_site.AdminConfig",  # django.contrib.admin, with DermReview's site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",  # not rest_framework.authtoken: API tokens are dermreview.api's ApiToken (digests only)
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp", "django_otp", "django_otp.plugins.otp_totp", "django_otp.plugins.otp_static",
    "mozilla_django_oidc",  # single sign-on (dermreview/accounts/oidc/)
    "dermreview.core",
    "dermreview.accounts",
    "dermreview.accounts.mfa",  # after django-otp's plugins: its admin replaces theirs (which show the secrets)
    "dermreview.audit",
    "dermreview.cases",
    "dermreview.drafting",
    "dermreview.review",
    "dermreview.lesions",
    "dermreview.api",
    "dermreview.oversight",
    "dermreview.governance",
    "dermreview.pacs",  # DICOM to the hospital archive
]

MIDDLEWARE = [
    # First: everything after it (axes, the audit trail) must see the client's address, not nginx's.
    "dermreview.core.middleware.ReverseProxyClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # early: every response gets the CSP (settings/security.py)
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "dermreview.accounts.mfa.middleware.MfaRequiredMiddleware",  # django-otp's OTPMiddleware + the MFA gate
    # Services take domain arguments only; the audit writer reads the address and actor from here.
    "dermreview.audit.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "dermreview.core.middleware.PermissionsPolicyMiddleware",
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
                "dermreview.governance.context_processors.model_governance",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
_SQLITE_URL = f"sqlite:///{VAR_DIR / 'dermreview.sqlite3'}"
DATABASES = {"default": env("DATABASE_URL", default=None) or variable("DATABASE_URL").parse(_SQLITE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the Celery worker write from separate processes: WAL lets readers proceed
    # while one writes, and IMMEDIATE transactions queue writers instead of failing with "locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", "transaction_mode": "IMMEDIATE",
         "timeout": 30}
    )
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-dermreview.sqlite3")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env("DATABASE_CONN_MAX_AGE")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts and security ------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's password check, refused for clinics that sign in only through the identity provider.
    "dermreview.accounts.oidc.backends.LocalPasswordBackend",
    "dermreview.accounts.oidc.backends.OidcBackend",  # single sign-on (answers only the provider's callback)
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
LOGIN_REDIRECT_URL = "home"  # the home view sends each role to its own landing page
LOGOUT_REDIRECT_URL = "login"

SESSION_COOKIE_AGE = env("DERMREVIEW_SESSION_AGE_S")
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_SAVE_EVERY_REQUEST = True  # idle expiry: the age counts from the last request
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # the upload page's fetch() reads it
CSRF_FAILURE_VIEW = "dermreview.core.views.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

from dermreview.settings.oidc import *  # noqa: E402,F403  (single sign-on, DERMREVIEW_OIDC_*)
from dermreview.settings.security import *  # noqa: E402,F403  (the CSP, two-factor authentication)

AXES_FAILURE_LIMIT = env("DERMREVIEW_LOGIN_FAILURE_LIMIT")
AXES_COOLOFF_TIME = timedelta(minutes=env("DERMREVIEW_LOGIN_LOCKOUT_MINUTES"))
# A username is locked from the address that failed, so one attacker cannot lock a whole clinic behind one NAT.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

# --- Static and private media ---------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env("DERMREVIEW_STATIC_ROOT", default=VAR_DIR / "staticfiles")
# Photos are patient data. They are never under a public URL: the protected media view checks access
# on every request. MEDIA_URL stays unset on purpose.
MEDIA_ROOT = env("DERMREVIEW_MEDIA_ROOT", default=VAR_DIR / "media").resolve()
DERMREVIEW_MEDIA_SERVE = env("DERMREVIEW_MEDIA_SERVE")
DERMREVIEW_MEDIA_ACCEL_PREFIX = env("DERMREVIEW_MEDIA_ACCEL_PREFIX")
# STORAGES: the folder above, or an S3-compatible bucket (DERMREVIEW_MEDIA_STORAGE=s3), and how photos reach browsers.
from dermreview.settings.storage import *  # noqa: E402,F403

# --- Uploads --------------------------------------------------------------------------------------
DERMREVIEW_UPLOAD_MAX_BYTES = env("DERMREVIEW_UPLOAD_MAX_BYTES")
DERMREVIEW_UPLOAD_MAX_FILES = env("DERMREVIEW_UPLOAD_MAX_FILES")
DERMREVIEW_UPLOAD_MAX_PIXELS = env("DERMREVIEW_UPLOAD_MAX_PIXELS")
# A constant, formerly a variable: the edge is a design choice, not a deployment one, and thumbnails are made once
# at upload, so a changed value would apply to new photos only and mix two sizes in one case.
DERMREVIEW_THUMBNAIL_SIZE = 320
# Django's file-count guard fires while the CSRF middleware reads the body, before any view, with a bare 400. It
# sits well above ours (Django's default of 100 at the default limit) so that an over-sized selection reaches the
# upload's own message ("At most 20 files per upload; you sent 22. ..."), and still bounds what one request may hold.
DATA_UPLOAD_MAX_NUMBER_FILES = 5 * DERMREVIEW_UPLOAD_MAX_FILES
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_TEMP_DIR = None
FILE_UPLOAD_PERMISSIONS = 0o600

# --- Review policy --------------------------------------------------------------------------------
# Retired: the diagnosis vocabulary's `high_risk` flags decide (cases.DiagnosisClass). Refused, so it is not lost unseen.
if os.environ.get(_retired := "DERMREVIEW_HIGH_RISK_CLASSES", "").strip():
    raise ImproperlyConfigured(f"{_retired} is retired: edit the diagnosis classes (Django admin) instead.")
DERMREVIEW_BLIND_FIRST_SHARE = env("DERMREVIEW_BLIND_FIRST_SHARE")
DERMREVIEW_CLAIM_MINUTES = env("DERMREVIEW_CLAIM_MINUTES")
DERMREVIEW_ADJUDICATION_FIELDS = tuple(env("DERMREVIEW_ADJUDICATION_FIELDS"))

# --- Inference ------------------------------------------------------------------------------------
DERMREVIEW_DRAFTING_ENABLED = env("DERMREVIEW_DRAFTING_ENABLED")
DERMREVIEW_DRAFT_MAX_ATTEMPTS = env("DERMREVIEW_DRAFT_MAX_ATTEMPTS")
DERMREVIEW_DRAFT_SOFT_TIME_LIMIT_S = env("DERMREVIEW_DRAFT_SOFT_TIME_LIMIT_S")
DERMREVIEW_DRAFT_HARD_TIME_LIMIT_S = env("DERMREVIEW_DRAFT_HARD_TIME_LIMIT_S")
# A `running` draft whose claim is older than this is taken to be orphaned (its worker died) and is requeued.
DERMREVIEW_RECONCILE_AFTER_S = env("DERMREVIEW_RECONCILE_AFTER_S")
if DERMREVIEW_DRAFT_HARD_TIME_LIMIT_S <= DERMREVIEW_DRAFT_SOFT_TIME_LIMIT_S:
    raise ImproperlyConfigured("DERMREVIEW_DRAFT_HARD_TIME_LIMIT_S must exceed DERMREVIEW_DRAFT_SOFT_TIME_LIMIT_S")
if DERMREVIEW_RECONCILE_AFTER_S <= DERMREVIEW_DRAFT_HARD_TIME_LIMIT_S:
    # Otherwise the reconciler would requeue a draft whose healthy worker is still within its time limit.
    raise ImproperlyConfigured("DERMREVIEW_RECONCILE_AFTER_S must exceed DERMREVIEW_DRAFT_HARD_TIME_LIMIT_S")
# Micro-batching: a worker stops waiting for more drafts (at most DERMREVIEW_BATCH_WAIT_MS in all) as soon as this
# long passes with no new arrival, so a lone upload is not held back by the full batch wait.
DERMREVIEW_DRAFT_BATCH_IDLE_MS = env("DERMREVIEW_DRAFT_BATCH_IDLE_MS")
# Constants, formerly environment variables: how the drafting machinery paces itself. Their right values follow
# from the code (the reconciler's and the heartbeat's own cadence), not from the deployment, and nobody could tune
# them without reading that code; tests change them with `settings` overrides. Limits and attempts above stay knobs.
# Transient failures (model load, database hiccup) are retried after base * 2**(attempts-1) seconds, capped.
DERMREVIEW_DRAFT_RETRY_BACKOFF_S = 30
DERMREVIEW_DRAFT_RETRY_BACKOFF_MAX_S = 600
# A `queued` draft nobody has claimed after this long gets its task sent again (the message may be lost).
DERMREVIEW_RECONCILE_QUEUED_AFTER_S = 30
DERMREVIEW_RECONCILE_EVERY_S = 60
# The governance page calls a worker silent after a few missed beats of this interval.
DERMREVIEW_HEARTBEAT_EVERY_S = 30
# The inference worker's own settings (DERMREVIEW_MODEL, _BACKEND, _BATCH_SIZE, _BATCH_WAIT_MS, ...), parsed by
# inference_worker (no torch import) so that the web tier records the same model identity the workers use, and a
# malformed value stops start-up here rather than in the first task.
DERMREVIEW_WORKER_CONFIG = worker_config()

# --- Agreement scoring ----------------------------------------------------------------------------
BERTSCORE_MODEL = env("BERTSCORE_MODEL")
BERTSCORE_NUM_LAYERS = env("BERTSCORE_NUM_LAYERS")

# --- Celery ---------------------------------------------------------------------------------------
BROKER_DIR = env("DERMREVIEW_BROKER_DIR", default=VAR_DIR / "broker")
CELERY_BROKER_URL = env("CELERY_BROKER_URL")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # Server-less default: real multi-process Celery through a folder, no Redis needed. The folders are made when
    # the Celery app is configured (dermreview/celery.py), in whichever process first sends or consumes a task.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        # Without this kombu writes its exchange files into ./control of whatever the working directory is.
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
        # kombu polls the folder (1 s by default): every upload would wait on average half of it for its draft.
        # A constant (it was DERMREVIEW_BROKER_POLL_S): 20 ms costs an idle worker next to nothing, and production
        # uses Redis, which pushes instead of polling.
        "polling_interval": 0.02,
    }
else:
    # Redis redelivers an unacknowledged task after visibility_timeout: keep it above the hard limit so a
    # long but healthy generation is never run twice.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env("CELERY_VISIBILITY_TIMEOUT_S", default=DERMREVIEW_DRAFT_HARD_TIME_LIMIT_S + 120),
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
    # Shadow evaluations: drafting on the GPU queue (sent at a low priority, see governance/tasks.py), scoring on the
    # scoring queue.
    "dermreview.governance.tasks.evaluation_draft": {"queue": "gpu"},
    "dermreview.governance.tasks.evaluation_score": {"queue": "scoring"},
    # STOW-RS to the hospital archive: network-bound, any CPU host (`make run` folds it into its scoring worker).
    "dermreview.pacs.tasks.dicom_send_deliver": {"queue": "pacs"},
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
# The audit chain's head, written outside the database (a no-op while nothing new was logged).
CELERY_BEAT_SCHEDULE["audit-anchor"] = {
    "task": "dermreview.audit.tasks.audit_anchor",
    "schedule": float(DERMREVIEW_AUDIT_ANCHOR_EVERY_S),
    "options": {"queue": "default", "expires": float(DERMREVIEW_AUDIT_ANCHOR_EVERY_S)},
}
# A shadow evaluation whose next message was lost carries on (see evaluation_runs_resume_stalled).
CELERY_BEAT_SCHEDULE["evaluations-resume-stalled"] = {
    "task": "dermreview.governance.tasks.evaluations_resume_stalled",
    "schedule": float(DERMREVIEW_RECONCILE_EVERY_S),
    "options": {"queue": "default", "expires": float(DERMREVIEW_RECONCILE_EVERY_S)},
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = "UTC"

# --- Oversight: automation-bias and drift alarms, live model card ----------------------------------
from celery.schedules import crontab as _crontab  # noqa: E402

# Rubber-stamping: a reviewer whose last WINDOW sign-offs of AI drafts were accepted unchanged at a rate above
# RATE, with a median time on task under MEDIAN_S seconds. The window must be full before it can fire.
DERMREVIEW_ALARM_RUBBER_STAMP_WINDOW = env("DERMREVIEW_ALARM_RUBBER_STAMP_WINDOW")
DERMREVIEW_ALARM_RUBBER_STAMP_RATE = env("DERMREVIEW_ALARM_RUBBER_STAMP_RATE")
DERMREVIEW_ALARM_RUBBER_STAMP_MEDIAN_S = env("DERMREVIEW_ALARM_RUBBER_STAMP_MEDIAN_S")
# High-risk drafts never edited: a reviewer whose last MIN sign-offs of high-risk drafts (the case is high-risk
# or the draft names a high-risk class of the diagnosis vocabulary, or none) were all accepted without a single edit.
DERMREVIEW_ALARM_HIGH_RISK_MIN = env("DERMREVIEW_ALARM_HIGH_RISK_MIN")
# Drift: per scorer, model version and field, the mean draft-vs-final F1 of the last WINDOW_DAYS falling more than
# MARGIN below the mean of the model version's first BASELINE_DAYS; each side needs at least MIN_N scores.
DERMREVIEW_ALARM_DRIFT_MARGIN = env("DERMREVIEW_ALARM_DRIFT_MARGIN")
DERMREVIEW_ALARM_DRIFT_BASELINE_DAYS = env("DERMREVIEW_ALARM_DRIFT_BASELINE_DAYS")
DERMREVIEW_ALARM_DRIFT_WINDOW_DAYS = env("DERMREVIEW_ALARM_DRIFT_WINDOW_DAYS")
DERMREVIEW_ALARM_DRIFT_MIN_N = env("DERMREVIEW_ALARM_DRIFT_MIN_N")
# The daily evaluation and digest email to the organisation's auditors and admins (Celery beat, UTC).
DERMREVIEW_OVERSIGHT_DAILY_HOUR = env("DERMREVIEW_OVERSIGHT_DAILY_HOUR")
CELERY_BEAT_SCHEDULE["oversight-daily"] = {
    "task": "dermreview.oversight.tasks.oversight_daily",
    "schedule": _crontab(hour=DERMREVIEW_OVERSIGHT_DAILY_HOUR, minute=0),
    "options": {"queue": "default"},
}
# Photos no row references (a worker killed mid-upload); the task itself keeps anything younger than a day.
CELERY_BEAT_SCHEDULE["media-sweep-orphans"] = {
    "task": "dermreview.cases.tasks.media_orphans_sweep",
    "schedule": _crontab(hour=3, minute=30),
    "options": {"queue": "default"},
}
# Rendered chart SVGs are cached this long, keyed by the plotted data itself (so never stale); 0 disables. A
# constant: a cache that can never serve stale data has nothing for an operator to weigh.
DERMREVIEW_OVERSIGHT_CHART_CACHE_S = 300
# Where people reach this installation: links in emails (the digest) are built on it.
DERMREVIEW_SITE_URL = env("DERMREVIEW_SITE_URL").rstrip("/")

# --- Model governance: the approval gate (dermreview/governance/services/approval.py) -------------------
DERMREVIEW_GATE_MIN_CASES = env("DERMREVIEW_GATE_MIN_CASES")
DERMREVIEW_GATE_MARGIN = env("DERMREVIEW_GATE_MARGIN")
DERMREVIEW_GATE_RATE_MARGIN = env("DERMREVIEW_GATE_RATE_MARGIN")

# --- Cache ----------------------------------------------------------------------------------------
# API throttle counters and the token-use audit marks live here. The default is per process; with several
# gunicorn workers set DERMREVIEW_CACHE_URL=redis://host:6379/1 so they share one count.
DERMREVIEW_CACHE_URL = env("DERMREVIEW_CACHE_URL")
if DERMREVIEW_CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": DERMREVIEW_CACHE_URL}}
else:  # locmem://: one cache per process
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Email (alarm digests) ------------------------------------------------------------------------
EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND")
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL")

# --- REST API -------------------------------------------------------------------------------------
from dermreview.settings.api import *  # noqa: E402,F403  (REST framework, throttles, OpenAPI)
from dermreview.settings.dicom import *  # noqa: E402,F403  (DICOM to the hospital archive, DERMREVIEW_DICOM_*)

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env("DJANGO_TIME_ZONE")
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL")},
    "loggers": {"axes": {"level": "WARNING"}},
}
