"""Who a single sign-on lets in, and as whom: the provider's claims mapped to a Crisis Desk user.

The rules (docs/ESCALATION.md, "Single sign-on"), as PagerDuty's and Front's SSO keep them:

- the e-mail address is the key, and only one the provider says it verified (`email_verified`);
- an address no account has gets an account only when its domain is one of OIDC_ALLOWED_EMAIL_DOMAINS and
  the groups claim puts the person in at least one department: a department member (role "department
  head") with no usable password;
- when OIDC_DEPARTMENT_GROUPS is set and the provider sends the groups claim, membership of the mapped
  departments follows the groups at every sign-in; departments nobody mapped are left to the console;
- the provider never sets a role: an administrator's or a director's role stays in Crisis Desk's hands.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from crisisdesk.audit import audit_record
from crisisdesk.models import Role, User
from crisisdesk.text import clean_display_name
from escalation.models import Department


class SignOnRefused(Exception):
    """The provider answered, and the answer does not let this person in; `message` says why, to them."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SignOnUnavailable(Exception):
    """The provider could not be reached or answered with an error of its own."""


@dataclass(frozen=True)
class SignOnRules:
    allowed_domains: frozenset[str]
    require_verified_email: bool
    groups_claim: str
    department_groups: dict[str, str]  # provider group -> department slug

    @classmethod
    def from_settings(cls) -> SignOnRules:
        return cls(
            allowed_domains=frozenset(getattr(settings, "OIDC_ALLOWED_EMAIL_DOMAINS", [])),
            require_verified_email=bool(getattr(settings, "OIDC_REQUIRE_VERIFIED_EMAIL", True)),
            groups_claim=str(getattr(settings, "OIDC_GROUPS_CLAIM", "groups")),
            department_groups=dict(getattr(settings, "OIDC_DEPARTMENT_GROUPS", {})),
        )


def no_department_message() -> str:
    return _("Your company account is in no Crisis Desk department. Ask an administrator to add you.")


def claims_email(claims: dict[str, Any], rules: SignOnRules) -> str:
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise SignOnRefused(
            _("Your company account did not share an e-mail address, so Crisis Desk cannot tell who you are.")
        )
    verified = claims.get("email_verified")
    if rules.require_verified_email and verified is not True and str(verified).lower() != "true":
        raise SignOnRefused(
            _("Your company account's e-mail address is not verified. Ask your IT team to verify it.")
        )
    return email.strip().lower()


def claims_department_slugs(claims: dict[str, Any], rules: SignOnRules) -> set[str] | None:
    """The mapped departments the groups claim puts the person in; None when there is nothing to follow."""
    if not rules.department_groups or rules.groups_claim not in claims:
        return None
    groups = claims[rules.groups_claim]
    names: Iterable[Any] = [groups] if isinstance(groups, str) else groups if isinstance(groups, list) else []
    mapping = rules.department_groups
    return {mapping[name] for name in names if isinstance(name, str) and name in mapping}


def _user_create(*, email: str, claims: dict[str, Any], rules: SignOnRules, slugs: set[str] | None) -> User:
    domain = email.rpartition("@")[2]
    if domain not in rules.allowed_domains:
        raise SignOnRefused(
            _("No Crisis Desk account uses %(email)s. Ask an administrator to add you.") % {"email": email}
        )
    if not slugs:
        raise SignOnRefused(no_department_message())
    if User.objects.filter(username__iexact=email).exists():
        raise SignOnRefused(_("Another account already has this name. Ask an administrator to link it."))
    user = User(
        username=email,
        email=email,
        first_name=clean_display_name(str(claims.get("given_name", "")))[:150],
        last_name=clean_display_name(str(claims.get("family_name", "")))[:150],
        role=Role.DEPARTMENT_HEAD,
    )
    user.set_unusable_password()
    user.save()
    return user


def _departments_follow(*, user: User, slugs: set[str] | None, rules: SignOnRules) -> list[str]:
    """Join the mapped departments the groups name and leave the mapped ones they no longer name; returns the
    user's department slugs. The m2m receivers re-scope the user's open sockets (console.signals)."""
    if slugs is not None:
        mapped = Department.objects.filter(slug__in=set(rules.department_groups.values()))
        current = set(user.departments.filter(pk__in=mapped).values_list("slug", flat=True))
        joined = [department for department in mapped if department.slug in slugs - current]
        left = [department for department in mapped if department.slug in current - slugs]
        if joined:
            user.departments.add(*joined)
        if left:
            user.departments.remove(*left)
    return sorted(user.departments.values_list("slug", flat=True))


def sign_on_user(*, claims: dict[str, Any], rules: SignOnRules) -> User:
    """The user the provider's verified claims name, created or brought in step with the groups, in one
    transaction with an audit row (`user.signed_on`: issuer, subject, created, departments). Raises
    SignOnRefused, with the reason to show, for anyone the rules keep out."""
    email = claims_email(claims, rules)
    slugs = claims_department_slugs(claims, rules)
    with transaction.atomic():
        users = list(User.objects.select_for_update(no_key=True).filter(email__iexact=email).order_by("pk")[:2])
        if len(users) > 1:
            raise SignOnRefused(_("Two Crisis Desk accounts share your e-mail address. Ask an administrator."))
        user = users[0] if users else _user_create(email=email, claims=claims, rules=rules, slugs=slugs)
        if not user.is_active:
            raise SignOnRefused(_("Your Crisis Desk account is deactivated."))
        departments = _departments_follow(user=user, slugs=slugs, rules=rules)
        if not users and not departments:  # the groups name departments that do not exist (yet)
            raise SignOnRefused(no_department_message())
        audit_record(
            actor=user,
            verb="user.signed_on",
            target=user,
            data={
                "issuer": str(claims.get("iss", "")),
                "subject": str(claims.get("sub", "")),
                "created": not users,
                "departments": departments,
            },
        )
    return user
