"""Receivers that notice a change of credentials or access wherever it is made, and hand it to
`console.access`; they decide nothing themselves."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.dispatch import receiver

from console.access import session_sockets_close, user_access_apply, user_access_change, users_access_rescope
from crisisdesk.models import User
from escalation.models import Department


@receiver(pre_save, sender=User, dispatch_uid="crisisdesk.user_access_before_save")
def user_access_before_save(sender, instance: User, update_fields=None, raw: bool = False, **kwargs) -> None:
    instance.__dict__["_access_change"] = (
        None if raw else user_access_change(user=instance, update_fields=update_fields)
    )


@receiver(post_save, sender=User, dispatch_uid="crisisdesk.user_access_after_save")
def user_access_after_save(sender, instance: User, raw: bool = False, **kwargs) -> None:
    change = instance.__dict__.pop("_access_change", None)
    if change is not None:
        user_access_apply(user=instance, change=change)


@receiver(user_logged_out, dispatch_uid="crisisdesk.sockets_close_on_logout")
def sockets_close_on_logout(sender, request, user, **kwargs) -> None:
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if session_key:
        session_sockets_close(session_key=session_key)


def department_people_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    """Department.heads or Department.members changed, from either side; a clear is read before it runs."""
    if action == "pre_clear" and not reverse:
        instance._cleared_user_ids = list(sender.objects.filter(department=instance).values_list("user_id", flat=True))
        return
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    if reverse:
        user_ids = [instance.pk]
    elif action == "post_clear":
        user_ids = instance.__dict__.pop("_cleared_user_ids", [])
    else:
        user_ids = list(pk_set or [])
    users_access_rescope(user_ids=user_ids, reason="departments_changed")


def connect_department_receivers() -> None:
    for relation in (Department.heads, Department.members):
        m2m_changed.connect(
            department_people_changed,
            sender=relation.through,
            dispatch_uid=f"crisisdesk.department_people_changed.{relation.field.name}",
        )
