from django.apps import AppConfig


class CrisisDeskConfig(AppConfig):
    name = "crisisdesk"
    verbose_name = "Crisis Desk"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from crisisdesk.token_auth import token_cache_connect  # why: it imports models, not loaded before ready()

        token_cache_connect()
