from django.apps import AppConfig

from inbox import hooks


class IntegrationsConfig(AppConfig):
    """What Crisis Desk offers other tools: outgoing webhooks and API tokens."""

    name = "integrations"
    label = "integrations"
    verbose_name = "Integrations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from integrations.services import webhook_event_emit, webhook_mentions_emit  # why: imports models

        hooks.outgoing_event_emitter_register(webhook_event_emit)
        hooks.mentions_created_listener_register(webhook_mentions_emit)
