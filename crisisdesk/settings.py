"""Crisis Desk settings.

Every value that differs between deployments is read from the environment here, and only here.
With no environment at all the product runs embedded: SQLite in ./data, the in-memory channel
layer and an in-process Celery broker. With DATABASE_URL and REDIS_URL (or REDIS_SENTINELS) it runs on
PostgreSQL and Redis with web, worker and beat as separate processes.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.utils.translation import gettext_lazy as _

from crisisdesk import settings_parts
from crisisdesk.queues import QUEUES, TASK_ROUTES
from crisisdesk.redis_connections import redis_sentinel

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("CRISISDESK_DATA_DIR", BASE_DIR / "data"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")
# Or Redis Sentinel instead of one server: REDIS_SENTINELS, REDIS_SENTINEL_MASTER… (crisisdesk/redis_connections.py).
REDIS_SENTINEL = redis_sentinel(os.environ)
EMBEDDED = not REDIS_URL and REDIS_SENTINEL is None

DEBUG = env_bool("DEBUG", default=not DATABASE_URL)
# The embedded demo needs no configuration, so it has a key of its own; a deployment must set one.
SECRET_KEY = os.environ.get("SECRET_KEY") or (
    "embedded-demo-only-key-never-used-in-production-8d1f0c6b1e2a4f7c9b3d5e7a" if not DATABASE_URL else ""
)
if not SECRET_KEY:
    raise RuntimeError("SECRET_KEY must be set when DATABASE_URL is set.")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "http://127.0.0.1:8000,http://localhost:8000")
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

# Daphne serves the product but is not an app here: as one it would load Twisted into every Celery worker.
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "channels",
    "axes",
    "crisisdesk",
    "inbox",
    "playbooks",
    "escalation",
    "integrations",
    "console",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",  # request counts and latency for /metrics
    "crisisdesk.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "crisisdesk.content_security.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "crisisdesk.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "crisisdesk.middleware.DatabaseUnavailableMiddleware",
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "crisisdesk.urls"
ASGI_APPLICATION = "crisisdesk.asgi.application"
# The full stack's web processes: uvicorn (measured the faster, docs/PERFORMANCE.md) or daphne; the embedded
# mode serves from Daphne inside its own process.
WEB_SERVER = os.environ.get("WEB_SERVER", "daphne" if EMBEDDED else "uvicorn")
# Garbage-collector thresholds of the web processes (crisisdesk.asgi.garbage_collection_tune); empty: Python's.
WEB_GC_THRESHOLDS = tuple(int(part) for part in os.environ.get("WEB_GC_THRESHOLDS", "10000,20,100").split(",") if part)
WSGI_APPLICATION = None

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
                "django.template.context_processors.i18n",
                "console.context_processors.console",
            ],
        },
    },
]

DATABASES: dict[str, dict[str, Any]]
if DATABASE_URL:
    # Under ASGI every concurrent request runs in a thread of its own, and a persistent connection is
    # per thread: with a max age, Daphne under load holds one connection per thread ever used and
    # exhausts PostgreSQL's max_connections (measured by bench/load.py). 0 closes them per request;
    # Celery workers, with a fixed pool, may set DATABASE_CONN_MAX_AGE=60.
    DATABASES = {
        "default": dict(
            dj_database_url.parse(
                DATABASE_URL,
                conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
                conn_health_checks=True,
            )
        )
    }
    # JIT compiling costs more than the dashboard's range scans it would speed up (181 of 572 ms at 2M mentions).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
    # Web processes borrow from a bounded pool per process instead (crisisdesk/dbpool): no backend is
    # started per request, and processes × DATABASE_POOL_SIZE bounds what the web holds.
    DATABASE_POOL_SIZE = int(os.environ.get("DATABASE_POOL_SIZE", "0"))
    if DATABASE_POOL_SIZE:
        DATABASES["default"].update(
            ENGINE="crisisdesk.dbpool",
            CONN_MAX_AGE=0,
            POOL_OPTIONS={
                "POOL_SIZE": DATABASE_POOL_SIZE,
                "MAX_OVERFLOW": 0,
                "TIMEOUT": int(os.environ.get("DATABASE_POOL_TIMEOUT", "10")),
                "RECYCLE": 900,
                # Checked without a round trip instead (crisisdesk/dbpool/base.py).
                "PRE_PING": False,
            },
        )
    # A read replica for what is marked replica-tolerant (the dashboard: crisisdesk/dbrouter.py, docs/SCALING.md).
    DATABASES |= settings_parts.database_replica(DATABASES["default"], os.environ.get("DATABASE_REPLICA_URL", ""))
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "crisisdesk.sqlite3",
            # Web, worker and beat share one file from several threads: WAL and immediate
            # transactions keep writers from failing with "database is locked".
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DATABASE_ROUTERS = [settings_parts.REPLICA_ROUTER]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "crisisdesk.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Departments' single sign-on (OpenID Connect), on only when configured: settings_parts.py, docs/ESCALATION.md.
SINGLE_SIGN_ON = settings_parts.single_sign_on(dict(os.environ))
globals().update(SINGLE_SIGN_ON)
AUTHENTICATION_BACKENDS += [settings_parts.SINGLE_SIGN_ON_BACKEND] if SINGLE_SIGN_ON["OIDC_ENABLED"] else []
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "start"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Proxies whose X-Forwarded-For is believed (addresses or CIDRs); empty believes no forwarded header.
TRUSTED_PROXIES = [str(ipaddress.ip_network(item, strict=False)) for item in env_list("TRUSTED_PROXIES", "")]

# One login policy for the console, /admin/ and the API token login (crisisdesk/login_policy.py).
LOGIN_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "10"))
LOGIN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("LOGIN_ADDRESS_FAILURE_LIMIT", "100"))
LOGIN_FAILURE_WINDOW_SECONDS = int(os.environ.get("LOGIN_FAILURE_WINDOW_SECONDS", "300"))
LOGIN_COOLOFF_MAX_SECONDS = int(os.environ.get("LOGIN_COOLOFF_MAX_SECONDS", "86400"))
AXES_HANDLER = "crisisdesk.login_policy.LoginPolicyHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "crisisdesk.clientip.client_ip"
AXES_COOLOFF_TIME = "crisisdesk.login_policy.login_cool_off"
AXES_LOCKOUT_CALLABLE = "crisisdesk.login_policy.login_held_response"
AXES_HTTP_RESPONSE_CODE = 429
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False

LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "es")
LANGUAGES = [("es", _("Spanish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Madrid")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

_redis: dict[str, Any]
if not EMBEDDED:
    _redis = settings_parts.redis_services(
        REDIS_URL,
        REDIS_SENTINEL,
        channel_layer=os.environ.get("CHANNEL_LAYER", "pubsub"),
        prefix=os.environ.get("CHANNEL_LAYER_PREFIX", "asgi"),
    )
    CACHES = _redis["CACHES"]
    CHANNEL_LAYERS = _redis["CHANNEL_LAYERS"]
else:
    _redis = {"CELERY_URL": "", "CELERY_TRANSPORT_OPTIONS": {}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 5000}}}

# Celery: one broker URL decides the deployment; "memory://" (kombu, in-process) feeds the embedded worker thread.
CELERY_BROKER_URL = _redis["CELERY_URL"] or "memory://"
CELERY_RESULT_BACKEND = _redis["CELERY_URL"] or "cache+memory://"
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = _redis["CELERY_TRANSPORT_OPTIONS"]  # Sentinel's master_name, or nothing
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = TASK_ROUTES
# A message taken by a worker that dies unacknowledged is handed out again after this many seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "600")),
    **_redis["CELERY_TRANSPORT_OPTIONS"],
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = CELERY_TASK_ALWAYS_EAGER
ESCALATION_SWEEP_SECONDS = float(os.environ.get("ESCALATION_SWEEP_SECONDS", "5"))  # the chain's clock
CELERY_BEAT_SCHEDULE = settings_parts.beat_schedule(escalation_sweep_seconds=ESCALATION_SWEEP_SECONDS)
# A reply waits this many seconds before it is sent, and its author may undo it meanwhile.
REPLY_UNDO_SECONDS = int(os.environ.get("REPLY_UNDO_SECONDS", "10"))
# "Connect a channel": OAuth 2.0 endpoints and clients per network, from X_CLIENT_ID, X_TOKEN_URL… (settings_parts.py).
OAUTH_PROVIDERS = settings_parts.oauth_providers(dict(os.environ))
# Crisis detection: "low", "medium" or "high" (k·σ and consecutive minutes), and the alert cool-down.
DETECTION_SENSITIVITY = os.environ.get("DETECTION_SENSITIVITY", "medium")
DETECTION_COOLDOWN_MINUTES = int(os.environ.get("DETECTION_COOLDOWN_MINUTES", "15"))
# Answer a mention within the target; "about to breach" shows open ones in its last warning minutes, or past it.
INBOX_RESPONSE_TARGET_MINUTES = int(os.environ.get("INBOX_RESPONSE_TARGET_MINUTES", "15"))
INBOX_BREACH_WARNING_MINUTES = int(os.environ.get("INBOX_BREACH_WARNING_MINUTES", "5"))
# Pushed batches are kept in PostgreSQL (inbox.Intake) before the sender is answered; one unprocessed this many
# seconds is queued again; processed ones are deleted after this many hours (≥ the webhooks' 24 h replay window).
INTAKE_REQUEUE_SECONDS = int(os.environ.get("INTAKE_REQUEUE_SECONDS", "30"))
# A worker stores a waiting intake row together with up to this many of its channel's, in one transaction
# (inbox/services/intake_claims.py; 20 deliveries of 25 are 500 mentions); 1 stores each row on its own.
INTAKE_COALESCE_ROWS = max(1, int(os.environ.get("INTAKE_COALESCE_ROWS", "20")))
INTAKE_RETENTION_HOURS = max(24, int(os.environ.get("INTAKE_RETENTION_HOURS", "48")))
# Mentions older than this many months (30 days each) move to gzip JSON-lines files in MENTION_ARCHIVE_DIR, checked
# before they are deleted (inbox/services/retention.py); 0, the default, keeps every mention in PostgreSQL.
MENTION_RETENTION_MONTHS = max(0, int(os.environ.get("MENTION_RETENTION_MONTHS", "0")))
MENTION_ARCHIVE_DIR = Path(os.environ.get("MENTION_ARCHIVE_DIR", DATA_DIR / "archive" / "mentions"))
ESCALATION_NOTIFY_GRACE_SECONDS = int(os.environ.get("ESCALATION_NOTIFY_GRACE_SECONDS", "60"))  # lost step tasks
# How long a request's signed link opens its phone page; Slack's signing secret, bot token (modals) and API (tests).
ESCALATION_LINK_MAX_AGE_SECONDS = int(os.environ.get("ESCALATION_LINK_MAX_AGE_SECONDS", str(72 * 3600)))
SLACK_SIGNING_SECRET = os.environ.get("SLACK_SIGNING_SECRET", "")
SLACK_BOT_TOKEN = os.environ.get("SLACK_BOT_TOKEN", "")
SLACK_API_BASE_URL = os.environ.get("SLACK_API_BASE_URL", "https://slack.com/api").rstrip("/")
# Answers by e-mail (docs/ESCALATION.md): the reply address, the inbound webhooks' keys, the IMAP mailbox polled.
ESCALATION_REPLY_ADDRESS = os.environ.get("ESCALATION_REPLY_ADDRESS", "")
MAILGUN_WEBHOOK_SIGNING_KEY = os.environ.get("MAILGUN_WEBHOOK_SIGNING_KEY", "")
POSTMARK_INBOUND_PASSWORD = os.environ.get("POSTMARK_INBOUND_PASSWORD", "")
ESCALATION_IMAP_URL = os.environ.get("ESCALATION_IMAP_URL", "")
ESCALATION_IMAP_PASSWORD = os.environ.get("ESCALATION_IMAP_PASSWORD", "")
CELERY_BEAT_SCHEDULE |= settings_parts.mail_poll_schedule(ESCALATION_IMAP_URL)
# Cases handed off to customer service: HELPDESK_KIND, HELPDESK_URL, HELPDESK_TOKEN… (settings_parts.helpdesk).
HELPDESK = settings_parts.helpdesk(dict(os.environ))
CELERY_BEAT_SCHEDULE |= settings_parts.triage_retrain_schedule(int(os.environ.get("TRIAGE_RETRAIN_HOUR", "3")))
ALERT_LINK_MAX_AGE_SECONDS = int(os.environ.get("ALERT_LINK_MAX_AGE_SECONDS", str(24 * 3600)))  # "Acknowledge alert"
CELERY_QUEUES = list(QUEUES)
if EMBEDDED:
    # The embedded worker's four threads serve every queue: slow model-tier batches must not hold them all.
    CELERY_TASK_ANNOTATIONS = {"triage.mentions_refine": {"rate_limit": "4/s"}}

# DRF: JSON only, bounded JSON, role checks, throttles at these rates (crisisdesk/settings_parts.py).
REST_FRAMEWORK = settings_parts.rest_framework(
    anon_rate=os.environ.get("API_THROTTLE_ANON", "60/min"), user_rate=os.environ.get("API_THROTTLE_USER", "6000/min")
)
# A polled page (the inbox list) is shared by everyone who may see it for at most this long, and never
# after its stream announces a change (crisisdesk/shared_pages.py); 0 reads every page afresh.
SHARED_PAGE_SECONDS = int(os.environ.get("SHARED_PAGE_SECONDS", "2"))
# An API token's row and user are cached this long, and forgotten when either changes (crisisdesk/token_auth.py).
TOKEN_CACHE_SECONDS = int(os.environ.get("TOKEN_CACHE_SECONDS", "60"))
# The schema's title, the sidecar Swagger UI and the enum names: crisisdesk/settings_parts.py.
SPECTACULAR_SETTINGS = settings_parts.SPECTACULAR_SETTINGS

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(DATA_DIR / "mail"))  # the file backend's (tests, demos)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Crisis Desk <crisisdesk@localhost>")

# Channel credentials are encrypted at rest with this key (Fernet, urlsafe base64 of 32 bytes).
CREDENTIALS_KEY = os.environ.get("CREDENTIALS_KEY", "")
# Meta signs webhooks with the app secret; the verify token answers the subscription handshake.
META_APP_SECRET = os.environ.get("META_APP_SECRET", "")
META_VERIFY_TOKEN = os.environ.get("META_VERIFY_TOKEN", "")

# Refine new mentions with the model tier (embeddings) on the "triage" queue; its queue's bound: settings_parts.
TRIAGE_MODEL_TIER = env_bool("TRIAGE_MODEL_TIER", True)
TRIAGE_REFINE_BACKLOG_MAX, TRIAGE_REFINE_SHED_BELOW = settings_parts.triage_refine_bounds(dict(os.environ))
# How many worker processes may refine at once, on every host together: one leaves docker-compose's other
# pool process to ingestion. Raise it with a worker of its own for the "triage" queue (docs/SCALING.md).
TRIAGE_REFINE_DRAINERS = max(1, int(os.environ.get("TRIAGE_REFINE_DRAINERS", "1")))

# Crisis clusters (inbox/clusters.py, PostgreSQL only): a cluster silent this many hours takes no more mentions.
INBOX_CLUSTERING = env_bool("INBOX_CLUSTERING", True)
INBOX_CLUSTER_WINDOW_HOURS = float(os.environ.get("INBOX_CLUSTER_WINDOW_HOURS", "24"))
INBOX_CLUSTER_SINGLETON_MINUTES = float(os.environ.get("INBOX_CLUSTER_SINGLETON_MINUTES", "60"))
# Replies to a cluster are spaced by each platform's write limit (crisisdesk/settings_parts.py).
REPLY_RATE_LIMITS = settings_parts.REPLY_RATE_LIMITS

# The simulator replays a scripted day at this many simulated seconds per real second.
SIMULATOR_SPEED = float(os.environ.get("SIMULATOR_SPEED", "60"))

# /healthz shows its parts to a monitor sending `Authorization: Bearer <HEALTHZ_TOKEN>` and to administrators.
HEALTHZ_TOKEN = os.environ.get("HEALTHZ_TOKEN", "")

# Outgoing webhooks may only reach public addresses unless this is set (local tests, private networks).
WEBHOOKS_ALLOW_PRIVATE = env_bool("WEBHOOKS_ALLOW_PRIVATE", False)

SECURE_PRODUCTION = env_bool("SECURE_PRODUCTION", default=not DEBUG)
if SECURE_PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Probes on the host (the compose healthcheck, a load balancer) ask over plain http, past the proxy.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
# Content-Security-Policy on every response (django-csp): our own static files only, nothing inline, no eval;
# the directives and why are in crisisdesk/settings_parts.py (ws origin: crisisdesk.content_security).
CONTENT_SECURITY_POLICY = settings_parts.CONTENT_SECURITY_POLICY
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# /metrics (METRICS_TOKEN, METRICS_ALLOWED_NETWORKS), the logs (LOG_FORMAT=json, LOG_ACCESS, LOG_LEVEL): settings_parts.
_observability = settings_parts.observability(dict(os.environ), middleware=MIDDLEWARE)
MIDDLEWARE = _observability["MIDDLEWARE"]  # without django-prometheus's with METRICS_REQUEST_FIGURES=0
METRICS_TOKEN: str = _observability["METRICS_TOKEN"]
METRICS_ALLOWED_NETWORKS: list[str] = _observability["METRICS_ALLOWED_NETWORKS"]
LOGGING = _observability["LOGGING"]
