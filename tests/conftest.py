"""Shared fixtures: users of every role, and the rule that service tests fail rather than skip in CI."""

from __future__ import annotations

import pytest
from django.conf import settings

from tests import factories


def pytest_report_header(config):
    from tests import settings as test_settings

    if test_settings.SERVICES_AVAILABLE:
        return f"services: PostgreSQL {test_settings.TEST_DATABASE_URL} and Redis {test_settings.TEST_REDIS_URL}"
    return (
        "services: PostgreSQL/Redis NOT reachable; running on SQLite, tests marked 'services' are skipped "
        "(set REQUIRE_SERVICES=1 to make that an error)"
    )


def pytest_collection_modifyitems(config, items):
    """Browser tests run last: Playwright's sync API keeps an event loop running in the main thread
    for the rest of the session, which async_to_sync in later tests would trip over."""
    from tests import settings as test_settings

    items.sort(key=lambda item: "browser" in item.nodeid.split("::")[0].split("/"))
    if test_settings.SERVICES_AVAILABLE:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL and Redis on 127.0.0.1 (not reachable here)")
    for item in items:
        if "services" in item.keywords or "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _default_language():
    """A request in Spanish leaves Spanish active in the thread; the next test starts in the default again."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _pages_read_afresh(settings):
    """Factories write without announcing anything, so a shared page would hide their writes for
    SHARED_PAGE_SECONDS; tests/inbox/test_api_shared_pages.py turns sharing on and shows its rules."""
    settings.SHARED_PAGE_SECONDS = 0


@pytest.fixture
def community_manager(db):
    return factories.UserFactory(role="community_manager", username="ana", first_name="Ana")


@pytest.fixture
def other_community_manager(db):
    return factories.UserFactory(role="community_manager", username="luis", first_name="Luis")


@pytest.fixture
def director(db):
    return factories.UserFactory(role="director", username="elena", first_name="Elena")


@pytest.fixture
def admin_user(db):
    return factories.UserFactory(role="admin", username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def department(db):
    return factories.DepartmentFactory(slug="tecnica", name="Técnica")


@pytest.fixture
def other_department(db):
    return factories.DepartmentFactory(slug="juridico", name="Jurídico")


@pytest.fixture
def department_head(department):
    head = factories.UserFactory(role="department_head", username="marta", first_name="Marta")
    department.heads.add(head)
    department.members.add(head)
    return head


@pytest.fixture
def other_department_head(other_department):
    head = factories.UserFactory(role="department_head", username="pilar", first_name="Pilar")
    other_department.heads.add(head)
    other_department.members.add(head)
    return head


@pytest.fixture
def shared_dir():
    """../shared/ beside the project; tests that read it skip on a user's clone without it."""
    path = settings.BASE_DIR.parent / "shared"
    if not path.is_dir():
        pytest.skip("../shared/ is not present in this clone")
    return path
