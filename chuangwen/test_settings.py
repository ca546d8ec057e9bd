"""Settings for the test suite: the production settings, with static files served without a manifest."""

import os

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

from chuangwen.settings import *  # noqa: F403
from chuangwen.settings import CACHES, HUEY, STORAGES

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

# --- Parallel runs (pytest -n, pytest-xdist) ---------------------------------------------------------------
# Each worker process has its own test database (pytest-django suffixes its name with the worker id) and,
# named by its process id, its own task queue and cache keys: a test that flushes the queue or clears the
# cache, or counts what is in them, must not see or wipe another worker's (nor another run's on one Redis).
TEST_PROCESS = f"test{os.getpid()}"
# Both huey storages keep each queue name apart (SQLite: a column of its tables; Redis: its own keys).
HUEY["name"] = f"{HUEY['name']}-{TEST_PROCESS}"


class ProcessRedisCache(RedisCache):
    """Redis cache whose ``clear()`` drops only this process's keys: Redis's FLUSHDB would also empty the
    other workers' keys (and a task queue kept in the same Redis database)."""

    def clear(self) -> None:
        backend: RedisCacheClient = self._cache  # type: ignore[attr-defined]  # Django's; not in django-stubs
        client = backend.get_client(None, write=True)
        keys = list(client.scan_iter(match=f"{self.key_prefix}:*", count=1000))
        if keys:
            client.delete(*keys)


if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES = {
        "default": {
            **CACHES["default"],
            "BACKEND": "chuangwen.test_settings.ProcessRedisCache",
            "KEY_PREFIX": TEST_PROCESS,
        }
    }
