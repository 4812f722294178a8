"""Fixtures shared by the inbox's API tests."""

import pytest
from rest_framework.test import APIClient


@pytest.fixture
def api(community_manager):
    """An API client signed in as a community manager."""
    client = APIClient()
    client.force_authenticate(community_manager)
    return client
