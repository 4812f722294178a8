from django.conf import settings

from crisisdesk.roles import user_role
from inbox.approval_selectors import user_is_named_approver
from playbooks.selectors import crisis_banner


def console(request):
    """What every console page needs: the user's role and the open crisis for the banner; signed out, whether
    the login page offers the company's single sign-on."""
    user = getattr(request, "user", None)
    role = user_role(user)
    if role is None:
        return {"console_role": None, "single_sign_on": bool(getattr(settings, "OIDC_ENABLED", False))}
    return {"console_role": role, "crisis_banner": crisis_banner(), "reply_approver": user_is_named_approver(user=user)}
