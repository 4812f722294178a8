"""Settings that are the same in every deployment, kept out of `crisisdesk.settings` to keep it readable.

Nothing here reads the environment: `crisisdesk.settings` stays the one place that does.
"""

from __future__ import annotations

from typing import Any

from csp.constants import NONE, SELF

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
            "rest_framework.authentication.TokenAuthentication",
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
    "googleplay": {  # the same Google sign-in, for the Play Developer API's reviews
        "authorize_url": "https://accounts.google.com/o/oauth2/v2/auth",
        "token_url": "https://oauth2.googleapis.com/token",
        "revoke_url": "https://oauth2.googleapis.com/revoke",
        "api_url": "https://androidpublisher.googleapis.com/androidpublisher/v3",
        "scope": "https://www.googleapis.com/auth/androidpublisher",
    },
}
OAUTH_ENV_PREFIXES = {"x": "X", "mastodon": "MASTODON", "meta": "META", "google": "GOOGLE", "googleplay": "GOOGLE_PLAY"}
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
