"""Settings that are the same in every deployment, kept out of `crisisdesk.settings` to keep it readable.

Nothing here reads the environment: `crisisdesk.settings` stays the one place that does.
"""

from __future__ import annotations

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
    },
}

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
