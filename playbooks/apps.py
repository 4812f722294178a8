from django.apps import AppConfig

from inbox import hooks


class PlaybooksConfig(AppConfig):
    name = "playbooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # why: register the tasks in every process, not only in workers: the services enqueue
        # `playbooks.crisis_notify` by name, and run it in place when tasks are eager.
        from playbooks import tasks  # noqa: F401
        from playbooks.hooks import PlaybooksCrisisReader  # why: reads models, importable once apps are ready
        from playbooks.slack_actions import slack_handlers_register  # why: as above, it reads models

        hooks.crisis_reader_register(PlaybooksCrisisReader())
        slack_handlers_register()
