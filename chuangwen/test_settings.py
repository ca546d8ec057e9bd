"""Settings for the test suite: the production settings, with static files served without a manifest."""

from chuangwen.settings import *  # noqa: F403
from chuangwen.settings import STORAGES

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
# Fast hashing for the many users tests create; one test checks that real settings use Argon2.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Live-server request threads must close their connections, or PostgreSQL refuses to drop the test database.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
CASES_REVERIFY_SHARE = 0.0  # tests that want picks set it (the default picks at random)
# The tests never read or write the real audit checkpoint file; those that checkpoint set their own file.
AUDIT_ANCHOR_FILE = None
# Tests share one in-process cache while each test's database rolls back; the cache tests turn it on.
DASHBOARD_CACHE_SECONDS = 0
