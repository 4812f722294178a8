from django.apps import AppConfig


class PlaybooksConfig(AppConfig):
    name = "playbooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # why: register the tasks in every process, not only in workers: the services enqueue
        # `playbooks.crisis_notify` by name, and run it in place when tasks are eager.
        from playbooks import tasks  # noqa: F401
