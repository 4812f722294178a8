from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    """The console every role works in: its websocket, the access that opens and closes it, the demo data."""

    name = "console"
    label = "console"
    verbose_name = "Console"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from console import signals  # why: receivers connect once the app registry (User, Department) is ready

        signals.connect_department_receivers()
