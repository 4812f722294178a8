"""Settings for the Daphne process that browser tests start: production settings plus the fast
password hasher the test process uses to create its users."""

from crisisdesk.settings import *  # noqa: F401,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
