from crisisdesk.roles import user_role
from playbooks.selectors import crisis_banner


def console(request):
    """What every console page needs: the user's role and the open crisis for the banner."""
    user = getattr(request, "user", None)
    role = user_role(user)
    if role is None:
        return {"console_role": None}
    return {"console_role": role, "crisis_banner": crisis_banner()}
