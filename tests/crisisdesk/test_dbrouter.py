"""With a read replica, only what is marked replica-tolerant reads from it; writes and transactions stay on the primary.

The replica here is a second connection to the test database itself (as Django's MIRROR does in tests), so the
routing is what is checked: which connection each query went through.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connections, transaction
from django.db.utils import load_backend
from django.test.utils import CaptureQueriesContext

from crisisdesk import settings_parts
from crisisdesk.dbrouter import REPLICA, ReplicaRouter, read_alias, replica_reads, replica_tolerant
from crisisdesk.models import User
from playbooks.dashboard import dashboard_figures
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def replica(settings) -> Iterator[str]:
    """A `replica` alias whose connection reaches the primary's (test) database. Its connection is handed to
    `connections` directly, as Django does for one it creates at run time, which its test guard allows."""
    primary = connections["default"].settings_dict
    replica_settings = {**primary, "TEST": {"MIRROR": "default"}}
    settings.DATABASES = {**settings.DATABASES, REPLICA: replica_settings}
    connection = load_backend(primary["ENGINE"]).DatabaseWrapper(dict(replica_settings), REPLICA)
    connections[REPLICA] = connection
    try:
        yield REPLICA
    finally:
        connection.close()
        del connections[REPLICA]


def test_without_a_replica_every_read_stays_on_the_primary():
    with replica_reads():
        assert read_alias() == "default"
        assert ReplicaRouter().db_for_read(User) is None


def test_only_replica_tolerant_reads_go_to_the_replica(replica):
    UserFactory(username="ana")
    with CaptureQueriesContext(connections[replica]) as on_replica:
        # A plain read: the primary
        assert User.objects.filter(username="ana").exists()
        assert len(on_replica) == 0
        # A read marked as tolerant of a moment's lag: the replica, which sees the committed row
        with replica_reads():
            assert User.objects.filter(username="ana").exists()
        assert len(on_replica) == 1


def test_writes_and_reads_inside_a_transaction_stay_on_the_primary(replica):
    user = UserFactory(username="luis")
    with CaptureQueriesContext(connections[replica]) as on_replica, replica_reads():
        User.objects.create(username="marta", role="department_head")
        with transaction.atomic():
            User.objects.filter(pk=user.pk).update(first_name="Luis")
            assert User.objects.get(pk=user.pk).first_name == "Luis"  # its own write, unseen by a replica
    assert len(on_replica) == 0


def test_the_directors_dashboard_reads_from_the_replica(replica, settings):
    with CaptureQueriesContext(connections[replica]) as on_replica, CaptureQueriesContext(
        connections["default"]
    ) as on_primary:
        figures = dashboard_figures()
    assert figures.unanswered == 0
    assert len(on_replica) >= 5
    assert len(on_primary) == 0


def test_a_tolerant_selector_leaves_the_next_read_on_the_primary(replica):
    @replica_tolerant
    def count_users() -> int:
        assert read_alias() == REPLICA
        return User.objects.count()

    count_users()
    assert read_alias() == "default"


def test_the_replica_alias_is_built_only_from_its_url():
    primary = {"ENGINE": "crisisdesk.dbpool", "NAME": "crisisdesk", "HOST": "db-primary", "OPTIONS": {"x": 1}}
    assert settings_parts.database_replica(primary, "") == {}
    replica = settings_parts.database_replica(primary, "postgres://reader:pw@db-replica:5433/crisisdesk")["replica"]
    assert (replica["ENGINE"], replica["HOST"], replica["PORT"], replica["USER"]) == (
        "crisisdesk.dbpool",
        "db-replica",
        5433,
        "reader",
    )
    assert replica["OPTIONS"] == {"x": 1} and replica["TEST"] == {"MIRROR": "default"}
