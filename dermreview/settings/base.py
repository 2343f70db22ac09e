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
    "axes",
    "dermreview.core",
    "dermreview.accounts",
    "dermreview.audit",
    "dermreview.cases",
    "dermreview.findings",
    "dermreview.api",
    "dermreview.oversight",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
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
DERMREVIEW_RECONCILE_AFTER_S = env_int("DERMREVIEW_RECONCILE_AFTER_S", 600, minimum=5)
DERMREVIEW_RECONCILE_EVERY_S = env_int("DERMREVIEW_RECONCILE_EVERY_S", 60, minimum=1)
if DERMREVIEW_DRAFT_HARD_TIME_LIMIT_S <= DERMREVIEW_DRAFT_SOFT_TIME_LIMIT_S:
    raise ImproperlyConfigured("DERMREVIEW_DRAFT_HARD_TIME_LIMIT_S must exceed DERMREVIEW_DRAFT_SOFT_TIME_LIMIT_S")

# --- Agreement scoring ----------------------------------------------------------------------------
BERTSCORE_MODEL = env_str("BERTSCORE_MODEL", "all-MiniLM-L6-v2")
BERTSCORE_NUM_LAYERS = env_int("BERTSCORE_NUM_LAYERS", 6, minimum=1)

# --- Celery ---------------------------------------------------------------------------------------
BROKER_DIR = Path(env_str("DERMREVIEW_BROKER_DIR", str(VAR_DIR / "broker")))
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
if not CELERY_BROKER_URL.split("://", 1)[0] in {"filesystem", "redis", "rediss", "amqp", "memory"}:
    raise ImproperlyConfigured(f"CELERY_BROKER_URL has an unsupported scheme: {CELERY_BROKER_URL!r}")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # Server-less default: real multi-process Celery through a folder, no Redis needed.
    for sub in ("queue", "processed"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
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
    "dermreview.findings.tasks.draft_generate": {"queue": "gpu"},
    "dermreview.findings.tasks.agreement_score": {"queue": "scoring"},
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = "UTC"

# --- Email (alarm digests) ------------------------------------------------------------------------
EMAIL_BACKEND = env_str("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DJANGO_DEFAULT_FROM_EMAIL", "dermreview@localhost")

# --- REST API -------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "DermReview API",
    "DESCRIPTION": "AI dermatology drafts behind mandatory human review. Drafts are not diagnoses.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
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
