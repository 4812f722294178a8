from django.apps import AppConfig


class CrisisDeskConfig(AppConfig):
    name = "crisisdesk"
    verbose_name = "Crisis Desk"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from crisisdesk import signals

        signals.connect_department_receivers()
