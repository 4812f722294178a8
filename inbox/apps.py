from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "inbox"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from inbox.metrics import inbox_metrics_register  # why: reads models, needs apps ready

        inbox_metrics_register()
