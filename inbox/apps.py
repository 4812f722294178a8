from django.apps import AppConfig

from inbox import hooks


class InboxConfig(AppConfig):
    name = "inbox"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from inbox.case_selectors import case_reply_templates  # why: imports models, not ready at import time

        hooks.mention_reply_templates_register(case_reply_templates)

        from inbox.metrics import inbox_metrics_register  # why: reads models, needs apps ready

        inbox_metrics_register()
