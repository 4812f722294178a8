from django.apps import AppConfig

from inbox import hooks


class EscalationConfig(AppConfig):
    name = "escalation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from escalation.holding_lines import holding_line_templates  # why: reads models, needs apps ready
        from escalation.metrics import escalation_metrics_register  # why: reads models, needs apps ready
        from escalation.selectors import approved_wordings_for_templates  # why: reads models, needs apps ready

        hooks.department_answers_register(approved_wordings_for_templates)
        hooks.mention_reply_templates_register(holding_line_templates)
        escalation_metrics_register()
