"""Test settings: real PostgreSQL and Redis when they answer, SQLite and in-memory layers otherwise.

With REQUIRE_SERVICES=1 (CI) a missing server is an error, never a silent skip.
"""

import os
import socket
from urllib.parse import urlparse

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crisisdesk")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=1):
            return True
    except OSError:
        return False


POSTGRES_AVAILABLE = _reachable(TEST_DATABASE_URL, 5432)
REDIS_AVAILABLE = _reachable(TEST_REDIS_URL, 6379)
SERVICES_AVAILABLE = POSTGRES_AVAILABLE and REDIS_AVAILABLE
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
if REQUIRE_SERVICES and not SERVICES_AVAILABLE:
    raise RuntimeError(
        f"REQUIRE_SERVICES=1 but PostgreSQL ({TEST_DATABASE_URL}: {'up' if POSTGRES_AVAILABLE else 'down'}) "
        f"or Redis ({TEST_REDIS_URL}: {'up' if REDIS_AVAILABLE else 'down'}) cannot be reached."
    )

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
os.environ["DEBUG"] = "1"
os.environ["SECURE_PRODUCTION"] = "0"
os.environ.pop("DATABASE_URL", None)
os.environ.pop("REDIS_URL", None)
os.environ.pop("REDIS_SENTINELS", None)  # tests/crisisdesk/test_redis_sentinel.py sets its own
if SERVICES_AVAILABLE:
    os.environ["DATABASE_URL"] = TEST_DATABASE_URL
    os.environ["REDIS_URL"] = TEST_REDIS_URL
else:
    os.environ.setdefault("CRISISDESK_DATA_DIR", "/tmp/crisisdesk-tests")

from crisisdesk.settings import *  # noqa: E402,F401,F403
from crisisdesk.settings import CHANNEL_LAYERS  # noqa: E402

CELERY_TASK_ALWAYS_EAGER = True
# The model tier rewrites labels after commit; only tests/inbox/test_triage_* turn it on.
TRIAGE_MODEL_TIER = False
CELERY_TASK_EAGER_PROPAGATES = True
# Eager tasks ignore an eta: with no undo window a reply is sent at commit, as the stories expect.
# tests/inbox/test_undo.py and the undo browser story set the real window.
REPLY_UNDO_SECONDS = 0
CELERY_BROKER_URL = "memory://"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests read the source (English) strings; tests/crisisdesk/test_i18n.py proves the Spanish catalogue.
LANGUAGE_CODE = "en"
if SERVICES_AVAILABLE:
    CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = os.environ.get("CHANNEL_LAYER_PREFIX", "crisisdesk-test")
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
