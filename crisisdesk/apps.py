from django.apps import AppConfig


class CrisisDeskConfig(AppConfig):
    name = "crisisdesk"
    verbose_name = "Crisis Desk"
    default_auto_field = "django.db.models.BigAutoField"
