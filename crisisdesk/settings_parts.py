"""Settings that are the same in every deployment, kept out of `crisisdesk.settings` to keep it readable.

Nothing here reads the environment: `crisisdesk.settings` stays the one place that does.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF

from crisisdesk.redis_connections import RedisSentinel

SPECTACULAR_SETTINGS = {
    "TITLE": "Crisis Desk API",
    "DESCRIPTION": "Mentions, replies, escalations, crises and playbooks.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the installed sidecar package, never a CDN (the CSP allows only our own origin).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ChannelKindEnum": "inbox.models.ChannelKind",
        "MentionStatusEnum": "inbox.models.MentionStatus",
        "EscalationStatusEnum": "escalation.models.RequestStatus",
        "WebhookEventEnum": "integrations.models.WebhookEvent",
        "WebhookDeliveryStatusEnum": "integrations.models.WebhookDeliveryStatus",
        "CrisisTypeEnum": "playbooks.models.CrisisType",
        "CrisisLevelEnum": "playbooks.models.CrisisLevel",
        "CrisisStatusEnum": "playbooks.models.CrisisStatus",
        "AlertStatusEnum": "playbooks.models.AlertStatus",
        "ClusterStatusEnum": "inbox.cluster_models.ClusterStatus",
    },
}

# Scripts and styles only from our own static files: no inline script, handler or style attribute, no eval.
# connect-src also names this host's ws(s):// origin (crisisdesk.content_security), for browsers whose 'self'
# does not cover websockets.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Answering a cluster sends one reply per author, spaced to stay within each platform's documented write
# limit for one account: (replies, per seconds). Kept below the published figures, which other writers share.
REPLY_RATE_LIMITS: dict[str, tuple[int, int]] = {
    "x": (50, 15 * 60),  # POST /2/tweets: 100 per 15 min per user (X API v2 rate limits), half of it
    "mastodon": (250, 3 * 3600),  # statuses: 300 per 3 hours per account (Mastodon docs, "Rate limits")
    "facebook": (150, 3600),  # Graph API: 200 calls per hour per user (platform rate limits)
    "instagram": (150, 3600),  # Instagram Graph API: 200 calls per hour per account
    "webhook": (60, 60),
    "simulator": (600, 60),
}


def rest_framework(*, anon_rate: str, user_rate: str) -> dict[str, Any]:
    """Django REST framework's settings; only the throttle rates come from the deployment."""
    return {
        "DEFAULT_AUTHENTICATION_CLASSES": [
            "rest_framework.authentication.SessionAuthentication",
            "crisisdesk.token_auth.CachedTokenAuthentication",
        ],
        "DEFAULT_PERMISSION_CLASSES": ["crisisdesk.roles.HasRole"],
        # JSON only: the browsable API's pages carry inline styles the CSP refuses; Swagger UI (/api/docs/) is
        # the API's page for people.
        "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
        "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
        # JSON nested deeper than crisisdesk.parsers.JSON_MAX_DEPTH is a 400, not a RecursionError.
        "DEFAULT_PARSER_CLASSES": [
            "crisisdesk.parsers.BoundedJSONParser",
            "rest_framework.parsers.FormParser",
            "rest_framework.parsers.MultiPartParser",
        ],
        "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.CursorPagination",
        "PAGE_SIZE": 50,
        "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
        "DEFAULT_THROTTLE_CLASSES": [
            "crisisdesk.throttling.AnonRateThrottle",
            "crisisdesk.throttling.UserRateThrottle",
        ],
        "DEFAULT_THROTTLE_RATES": {
            "anon": anon_rate,
            "user": user_rate,
        },
    }


# "Connect a channel" (inbox/channel_connect.py): each OAuth 2.0 provider's endpoints, scopes and client.
# A Mastodon endpoint that starts with "/" is relative to the channel's instance. Every key can be replaced
# from the environment as <PREFIX>_<KEY> (X_CLIENT_ID, X_TOKEN_URL, GOOGLE_CLIENT_SECRET…).
OAUTH_PROVIDER_DEFAULTS: dict[str, dict[str, str]] = {
    "x": {
        "authorize_url": "https://x.com/i/oauth2/authorize",
        "token_url": "https://api.x.com/2/oauth2/token",
        "revoke_url": "https://api.x.com/2/oauth2/revoke",
        "api_url": "https://api.x.com",
        "scope": "tweet.read tweet.write users.read offline.access",
    },
    "mastodon": {
        "authorize_url": "/oauth/authorize",
        "token_url": "/oauth/token",
        "revoke_url": "/oauth/revoke",
        "api_url": "",
        "scope": "read write",
    },
    "meta": {
        "authorize_url": "https://www.facebook.com/v21.0/dialog/oauth",
        "token_url": "https://graph.facebook.com/v21.0/oauth/access_token",
        "revoke_url": "",
        "api_url": "https://graph.facebook.com/v21.0",
        "scope": "pages_show_list,pages_read_engagement,pages_manage_engagement,pages_manage_metadata,"
        "instagram_basic,instagram_manage_comments",
    },
    "google": {
        "authorize_url": "https://accounts.google.com/o/oauth2/v2/auth",
        "token_url": "https://oauth2.googleapis.com/token",
        "revoke_url": "https://oauth2.googleapis.com/revoke",
        "api_url": "https://www.googleapis.com/youtube/v3",
        "scope": "https://www.googleapis.com/auth/youtube.force-ssl",
    },
    "google_business": {
        "authorize_url": "https://accounts.google.com/o/oauth2/v2/auth",
        "token_url": "https://oauth2.googleapis.com/token",
        "revoke_url": "https://oauth2.googleapis.com/revoke",
        "api_url": "https://mybusiness.googleapis.com/v4",
        "scope": "https://www.googleapis.com/auth/business.manage",
    },
    "threads": {
        "authorize_url": "https://threads.net/oauth/authorize",
        "token_url": "https://graph.threads.net/oauth/access_token",
        "revoke_url": "",
        "api_url": "https://graph.threads.net/v1.0",
        "scope": "threads_basic,threads_read_replies,threads_manage_replies,threads_content_publish,"
        "threads_manage_mentions",
    },
    "googleplay": {  # the same Google sign-in, for the Play Developer API's reviews
        "authorize_url": "https://accounts.google.com/o/oauth2/v2/auth",
        "token_url": "https://oauth2.googleapis.com/token",
        "revoke_url": "https://oauth2.googleapis.com/revoke",
        "api_url": "https://androidpublisher.googleapis.com/androidpublisher/v3",
        "scope": "https://www.googleapis.com/auth/androidpublisher",
    },
}
OAUTH_ENV_PREFIXES = {
    "x": "X",
    "mastodon": "MASTODON",
    "meta": "META",
    "google": "GOOGLE",
    "google_business": "GOOGLE_BUSINESS",
    "threads": "THREADS",
    "googleplay": "GOOGLE_PLAY",
}
OAUTH_ENV_FALLBACKS = {"googleplay": "GOOGLE"}  # Google Play uses the Google client unless GOOGLE_PLAY_* names one
OAUTH_KEYS = ("authorize_url", "token_url", "revoke_url", "api_url", "scope", "client_id", "client_secret")


def oauth_providers(environ: dict[str, str]) -> dict[str, dict[str, str]]:
    """The providers' settings: the defaults above, each key replaced by <PREFIX>_<KEY> when `environ` names it."""
    providers = {}
    for name, defaults in OAUTH_PROVIDER_DEFAULTS.items():
        prefix, fallback = OAUTH_ENV_PREFIXES[name], OAUTH_ENV_FALLBACKS.get(name)
        base = {"client_id": "", "client_secret": "", **defaults}
        if fallback:
            base |= {key: environ.get(f"{fallback}_{key.upper()}", "") for key in ("client_id", "client_secret")}
        providers[name] = {key: environ.get(f"{prefix}_{key.upper()}", base.get(key, "")) for key in OAUTH_KEYS}
    return providers


# Single sign-on for the departments (OpenID Connect through mozilla-django-oidc; docs/ESCALATION.md, "Single
# sign-on"). The backend is added to AUTHENTICATION_BACKENDS, after the password backends, only when it is on.
SINGLE_SIGN_ON_BACKEND = "console.sign_on_provider.DepartmentSignOnBackend"
OIDC_ENDPOINT_NAMES = (
    "OIDC_OP_AUTHORIZATION_ENDPOINT",
    "OIDC_OP_TOKEN_ENDPOINT",
    "OIDC_OP_USER_ENDPOINT",
    "OIDC_OP_JWKS_ENDPOINT",
)


def _items(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def single_sign_on(environ: dict[str, str]) -> dict[str, Any]:
    """The OIDC_* settings. On only with a client id and the provider's discovery URL (OIDC_OP_DISCOVERY) or its
    four endpoints; off, the login page offers passwords only, as before.

    Fixed here: the code flow with PKCE (S256), a state and a nonce per attempt, the client authenticated with HTTP
    Basic (client_secret_basic, OpenID's default), RS256 id_tokens checked against the provider's JWKS.
    OIDC_DEPARTMENT_GROUPS maps the provider's groups to departments, "group=slug,other-group=slug"."""

    def value(name: str, default: str = "") -> str:
        return environ.get(name, default).strip()

    endpoints = {name: value(name) for name in OIDC_ENDPOINT_NAMES}
    domains = [item.lower().lstrip("@") for item in _items(value("OIDC_ALLOWED_EMAIL_DOMAINS"))]
    enabled = bool(value("OIDC_RP_CLIENT_ID")) and bool(value("OIDC_OP_DISCOVERY") or all(endpoints.values()))
    groups = [[part.strip() for part in item.rpartition("=")[::2]] for item in _items(value("OIDC_DEPARTMENT_GROUPS"))]
    return {
        "OIDC_ENABLED": enabled,
        "OIDC_RP_CLIENT_ID": value("OIDC_RP_CLIENT_ID"),
        "OIDC_RP_CLIENT_SECRET": value("OIDC_RP_CLIENT_SECRET"),
        "OIDC_OP_DISCOVERY": value("OIDC_OP_DISCOVERY"),
        "OIDC_OP_ISSUER": value("OIDC_OP_ISSUER"),
        **endpoints,
        "OIDC_RP_SIGN_ALGO": value("OIDC_RP_SIGN_ALGO", "RS256"),
        "OIDC_RP_SCOPES": value("OIDC_RP_SCOPES", "openid email profile"),
        "OIDC_USE_PKCE": True,
        "OIDC_USE_NONCE": True,
        "OIDC_TOKEN_USE_BASIC_AUTH": True,
        "OIDC_TIMEOUT": 10,
        "OIDC_AUTHENTICATION_CALLBACK_URL": "sign_on:callback",
        "OIDC_ALLOWED_EMAIL_DOMAINS": domains,
        "OIDC_REQUIRE_VERIFIED_EMAIL": value("OIDC_REQUIRE_VERIFIED_EMAIL", "true").lower() in {"1", "true", "yes"},
        "OIDC_GROUPS_CLAIM": value("OIDC_GROUPS_CLAIM", "groups"),
        "OIDC_DEPARTMENT_GROUPS": {group: slug for group, slug in groups if group and slug},
    }


MAIL_POLL_SECONDS = 30.0


def mail_poll_schedule(imap_url: str) -> dict[str, dict[str, Any]]:
    """The beat entry that polls the answers mailbox, only when one is configured (docs/ESCALATION.md)."""
    if not imap_url:
        return {}
    return {"escalation-mail-poll": {"task": "escalation.mail_answers_poll", "schedule": MAIL_POLL_SECONDS}}


# The directors' weekly digest (playbooks/services/digest.py): tried every hour of Monday morning; the ISO week's
# unique row makes it once a week whatever the number of beats, and the later runs only retry failed e-mails.
WEEKLY_DIGEST_SCHEDULE: dict[str, dict[str, Any]] = {
    "directors-weekly-digest": {
        "task": "playbooks.weekly_digest_send",
        "schedule": crontab(minute=5, hour="7-12", day_of_week="mon"),
    },
}


HELPDESK_KEYS = ("KIND", "URL", "EMAIL", "TOKEN", "GROUP", "CUSTOMER", "ADDRESS", "CASE_FIELD_ID")


def helpdesk(environ: dict[str, str]) -> dict[str, str]:
    """Where cases are handed off to customer service (docs/CHANNELS.md, "Cases"): HELPDESK_KIND is `zendesk`,
    `zammad` or `email` (blank: `email` when HELPDESK_ADDRESS names a mailbox, else no hand-off); HELPDESK_URL the
    helpdesk's root, HELPDESK_EMAIL and HELPDESK_TOKEN its API user and token (the token lives only in the
    environment), HELPDESK_GROUP and HELPDESK_CUSTOMER Zammad's group and customer, HELPDESK_CASE_FIELD_ID a Zendesk
    custom field that takes the case number, HELPDESK_ADDRESS the helpdesk's mailbox (the fallback)."""
    values = {key.lower(): environ.get(f"HELPDESK_{key}", "").strip() for key in HELPDESK_KEYS}
    if not values["kind"]:
        values["kind"] = "email" if values["address"] else ""
    values["url"] = values["url"].rstrip("/")
    return values


def beat_schedule(*, escalation_sweep_seconds: float) -> dict[str, dict[str, Any]]:
    """Celery beat's periodic tasks: each is thin and safe to run twice, so two beats do no harm."""
    return {
        "heartbeat": {"task": "crisisdesk.heartbeat", "schedule": 10.0},
        "poll-due-channels": {"task": "inbox.channels_poll_due", "schedule": 2.0},
        "intakes-requeue-stale": {"task": "inbox.intakes_requeue_stale", "schedule": 15.0},
        "intakes-prune": {"task": "inbox.intakes_prune", "schedule": 3600.0},
        # Does nothing unless MENTION_RETENTION_MONTHS is set; off-peak, as it reads the oldest months.
        "mentions-archive": {"task": "inbox.mentions_archive", "schedule": crontab(hour=4, minute=15)},
        "clusters-fold": {"task": "inbox.clusters_fold", "schedule": 5.0},
        "hour-stats-roll": {"task": "inbox.hour_stats_roll", "schedule": 60.0},
        # The model tier's refine queue is in PostgreSQL (inbox/triage/backlog.py): a lost wake-up waits for this.
        "triage-refine-drain": {"task": "triage.mentions_refine_drain", "schedule": 5.0},
        "webhook-deliveries-sweep": {"task": "notify.webhook_deliveries_sweep", "schedule": 60.0},
        "escalations-sweep": {"task": "escalation.escalations_sweep", "schedule": escalation_sweep_seconds},
        "inbox-assignments": {"task": "inbox.mentions_auto_assign", "schedule": 15.0},
        "inbox-return-unanswered": {"task": "inbox.mentions_return_unanswered", "schedule": 60.0},
        "crisis-detection": {"task": "playbooks.alerts_detect", "schedule": 30.0},
        "drills-advance": {"task": "playbooks.drills_advance", "schedule": 5.0},
        "crisis-executive-summaries": {"task": "playbooks.crisis_summaries_send", "schedule": 300.0},
        "scheduled-posts-publish": {"task": "playbooks.scheduled_posts_publish_due", "schedule": 30.0},
        "crisis-notifications-retry": {"task": "notify.crisis_notifications_retry", "schedule": 60.0},
        "alerts-renotify": {"task": "playbooks.alerts_renotify", "schedule": 30.0},
        "checklist-chase": {"task": "playbooks.checklist_chase", "schedule": 30.0},
        "replies-send-due": {"task": "notify.replies_send_due", "schedule": 15.0},
        # The answered clusters' replies wait in PostgreSQL (ClusterReply.scheduled_at), not as ETA messages.
        "cluster-replies-send-due": {"task": "notify.cluster_replies_send_due", "schedule": 5.0},
        "reply-approvals-expire": {"task": "notify.reply_approvals_expire", "schedule": 20.0},
        "network-hides-sweep": {"task": "notify.mentions_network_hide_sweep", "schedule": 60.0},
        "channel-tokens-refresh": {"task": "inbox.channel_tokens_refresh", "schedule": 120.0},
        # Cases handed off to customer service (helpdesk tickets, private replies), failures retried.
        "case-deliveries-sweep": {"task": "notify.case_deliveries_sweep", "schedule": 15.0},
    } | WEEKLY_DIGEST_SCHEDULE


def triage_refine_bounds(environ: dict[str, str]) -> tuple[int, int]:
    """Over TRIAGE_REFINE_BACKLOG_MAX pending mentions (default 2,000), the pending ones under priority
    TRIAGE_REFINE_SHED_BELOW (default 40) keep their fast label ("Model skipped: backlog"); docs/TRIAGE.md."""
    return int(environ.get("TRIAGE_REFINE_BACKLOG_MAX", "2000")), int(environ.get("TRIAGE_REFINE_SHED_BELOW", "40"))


def triage_retrain_schedule(hour: int) -> dict[str, dict[str, Any]]:
    """Nightly, at `hour`:30: each brand's triage model relearns from its new corrections (docs/TRIAGE.md)."""
    return {"triage-models-retrain": {"task": "triage.models_retrain_due", "schedule": crontab(hour=hour, minute=30)}}


def observability(environ: dict[str, str], *, middleware: list[str]) -> dict[str, Any]:
    """/metrics' access (METRICS_TOKEN, METRICS_ALLOWED_NETWORKS: addresses or CIDRs; neither set, no one gets in),
    django-prometheus's request figures (METRICS_REQUEST_FIGURES, on: about 0.2 ms of CPU a request, measured in
    docs/PERFORMANCE.md) and the logs: LOG_FORMAT=json for one JSON object per line, LOG_ACCESS for a line per
    request (on by default with JSON), LOG_LEVEL (crisisdesk/logs.py)."""
    # why: crisisdesk.logs connects Celery signals; the settings are where the logging is configured
    from crisisdesk.logs import logging_config

    allowed = _items(environ.get("METRICS_ALLOWED_NETWORKS", ""))
    networks = [str(ipaddress.ip_network(item, strict=False)) for item in allowed]
    log_format = environ.get("LOG_FORMAT", "plain").strip().lower()
    access_default = "1" if log_format == "json" else "0"
    access_log = environ.get("LOG_ACCESS", access_default).strip().lower() in {"1", "true", "yes", "on"}
    request_figures = environ.get("METRICS_REQUEST_FIGURES", "1").strip().lower() in {"1", "true", "yes", "on"}
    return {
        "MIDDLEWARE": [item for item in middleware if request_figures or not item.startswith("django_prometheus.")],
        "METRICS_TOKEN": environ.get("METRICS_TOKEN", "").strip(),
        "METRICS_ALLOWED_NETWORKS": networks,
        "LOG_FORMAT": log_format,
        "LOGGING": logging_config(log_format=log_format, level=environ.get("LOG_LEVEL", "INFO"), access_log=access_log),
    }


REPLICA_ROUTER = "crisisdesk.dbrouter.ReplicaRouter"


def database_replica(default: dict[str, Any], replica_url: str) -> dict[str, dict[str, Any]]:
    """The `replica` alias when DATABASE_REPLICA_URL names a read replica: the primary's engine, pool and options,
    the replica's address and credentials. Tests mirror it onto the primary's test database."""
    if not replica_url:
        return {}
    address: dict[str, Any] = dict(dj_database_url.parse(replica_url))
    where = {key: address[key] for key in ("NAME", "USER", "PASSWORD", "HOST", "PORT") if key in address}
    replica = {**default, **where}
    replica["TEST"] = {"MIRROR": "default"}
    return {"replica": replica}


def redis_services(
    redis_url: str, sentinel: RedisSentinel | None, *, channel_layer: str, prefix: str
) -> dict[str, Any]:
    """The cache, the channel layer and the Celery URLs on one Redis, or on the master that Sentinel names
    (crisisdesk/redis_connections.py). `channel_layer`: "pubsub" (the default) or "lists"."""
    host: str | dict[str, Any]
    if sentinel is not None:
        cache, host = sentinel.cache(), sentinel.channel_layer_host()
        celery_url, celery_options = sentinel.celery_url(), sentinel.celery_transport_options()
    else:
        cache = {"BACKEND": "crisisdesk.cache.SharedPoolRedisCache", "LOCATION": redis_url}
        host, celery_url, celery_options = redis_url, redis_url, {}
    # Measured with bench/load.py (docs/PERFORMANCE.md, "300 requests a second"): with 1,000 consoles the
    # list layer made each web process pop every socket's copy of an event from Redis, a quarter of its
    # time; pub/sub (the default) sends one PUBLISH per group, which each process fans out in memory. Live
    # events are at most once either way; consoles notice a gap (numbered streams) and reload.
    if channel_layer != "pubsub":
        layer = {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [host], "capacity": 5000, "expiry": 30, "prefix": prefix},
        }
    else:
        layer = {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [host], "prefix": prefix},
        }
    return {
        "CACHES": {"default": cache},
        "CHANNEL_LAYERS": {"default": layer},
        "CELERY_URL": celery_url,
        "CELERY_TRANSPORT_OPTIONS": celery_options,
    }
