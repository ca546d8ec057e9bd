"""Settings from environment variables with safe defaults.

The embedded default needs no server: SQLite under ``var/`` and a SQLite-backed task queue.
``DATABASE_URL`` moves the data to PostgreSQL; ``TASK_QUEUE_URL`` moves the queue to Redis;
``CHUANGWEN_MODE=production`` turns on every deploy-time protection.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CHUANGWEN_VAR_DIR", BASE_DIR / "var")).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


def _secret_key() -> str:
    """Use SECRET_KEY when given; otherwise keep a generated one under var/ (never in the repository)."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    from chuangwen.audit import keyring  # Django-free; its writer is safe when two processes start at once

    return keyring.load_or_create(VAR_DIR / "secret_key", nbytes=64).strip()


PRODUCTION = os.environ.get("CHUANGWEN_MODE", "development") == "production"
DEBUG = env_bool("CHUANGWEN_DEBUG", False)
SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",  # serves the API docs page's Swagger UI from its own static files, not a CDN
    "huey.contrib.djhuey",
    "chuangwen.core",
    "chuangwen.audit",
    "chuangwen.org",
    "chuangwen.accounts",
    "chuangwen.standards",
    "chuangwen.sites",
    "chuangwen.rounds",
    "chuangwen.evidence",
    "chuangwen.inspect",
    "chuangwen.cases",
    "chuangwen.workdays",
    "chuangwen.notify",
    "chuangwen.rankings",
    "chuangwen.dashboards",
    "chuangwen.reports",
    "chuangwen.open311",
    "chuangwen.materials",
    "chuangwen.surveys",
    "chuangwen.bulletins",
    "chuangwen.volunteers",
    "chuangwen.privacy",
    "chuangwen.demo",  # the top of the house: nothing imports it
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # the Content-Security-Policy header on every response (see below)
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "chuangwen.core.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "chuangwen.audit.middleware.AuditContextMiddleware",
    "chuangwen.accounts.middleware.SessionTimeoutMiddleware",
    "chuangwen.accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "chuangwen.urls"
WSGI_APPLICATION = "chuangwen.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "chuangwen.core.context_processors.site_settings",
                "chuangwen.accounts.context_processors.capabilities",
                "chuangwen.notify.context_processors.inbox",
            ],
        },
    }
]

# --- Database --------------------------------------------------------------------------------------------
SQLITE_PATH = Path(os.environ.get("CHUANGWEN_SQLITE_PATH", VAR_DIR / "chuangwen.sqlite3"))
if os.environ.get("DATABASE_URL"):
    DATABASES: dict[str, Any] = {
        "default": dj_database_url.parse(
            os.environ["DATABASE_URL"], conn_max_age=600, conn_health_checks=True
        )
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            # Persistent connections; WAL lets readers go on while one writer writes.
            "CONN_MAX_AGE": 600,
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, so two writers queue instead of failing mid-way.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                    "PRAGMA busy_timeout=20000;"
                ),
            },
            "TEST": {"NAME": str(VAR_DIR / "test.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache -------------------------------------------------------------------------------------------------
if os.environ.get("CACHE_URL", "").startswith("redis://"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["CACHE_URL"],
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# How long a dashboard figure is served from the cache (0: never); see chuangwen/dashboards/cache.py.
DASHBOARD_CACHE_SECONDS = int(os.environ.get("DASHBOARD_CACHE_SECONDS", "60"))
# A photo check waiting or running longer than this may be queued again from the case page.
CASES_PHOTO_CHECK_STALE_SECONDS = int(os.environ.get("CASES_PHOTO_CHECK_STALE_SECONDS", "300"))

# --- Task queue (huey) -------------------------------------------------------------------------------------
TASK_QUEUE_URL = os.environ.get("TASK_QUEUE_URL", "")
HUEY: dict[str, Any]
if TASK_QUEUE_URL.startswith("redis://"):
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": os.environ.get("TASK_QUEUE_NAME", "chuangwen"),
        "url": TASK_QUEUE_URL,
        "immediate": False,
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "chuangwen",
        "filename": str(VAR_DIR / "tasks.sqlite3"),
        "immediate": env_bool("TASK_QUEUE_IMMEDIATE", False),
    }
HUEY["consumer"] = {"workers": int(os.environ.get("TASK_WORKERS", "2")), "worker_type": "thread"}

# --- Files -------------------------------------------------------------------------------------------------
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every request otherwise
STATIC_URL = "/static/"
NODE_MODULES = BASE_DIR / "node_modules"
# Front-end libraries come from npm (package-lock.json); nothing third-party is committed.
STATICFILES_DIRS = [
    ("vendor/leaflet", NODE_MODULES / "leaflet" / "dist"),
]
# ECharts' dist folder holds 51 MB of builds: only the one file the pages load is exposed (vendor/echarts/…).
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "chuangwen.dashboards.finders.NodeModulesFileFinder",
]
STORAGE_BACKEND = os.environ.get("STORAGE_BACKEND", "local")
STORAGES: dict[str, Any] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if STORAGE_BACKEND == "s3":
    # S3-compatible object storage (MinIO, OSS, COS): pip install "chuangwen[s3]".
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ.get("S3_BUCKET", "chuangwen"),
            "endpoint_url": os.environ.get("S3_ENDPOINT_URL"),
            "access_key": os.environ.get("S3_ACCESS_KEY"),
            "secret_key": os.environ.get("S3_SECRET_KEY"),
        },
    }
if env_bool("CHUANGWEN_PLAIN_STATIC", False):
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
WHITENOISE_USE_FINDERS = not PRODUCTION
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", str(20 * 1024 * 1024)))
# Evidence photos: the largest upload accepted and the most pixels decoded (see docs/evidence.md).
# Materials (网上申报): one file's size, the unpacked size of a .docx/.xlsx, and the text kept for search.
MATERIALS_MAX_BYTES = int(os.environ.get("MATERIALS_MAX_BYTES", str(50 * 1024 * 1024)))
MATERIALS_MAX_UNZIPPED_BYTES = int(os.environ.get("MATERIALS_MAX_UNZIPPED_BYTES", str(300 * 1024 * 1024)))
# Working days a unit gets to answer a material the 网申组 returned (the reviewer may give another date).
MATERIALS_RETURN_WORKDAYS = int(os.environ.get("MATERIALS_RETURN_WORKDAYS", "5"))
# Reminders: this many working days before a task's due date, the units that have not passed are told.
MATERIALS_REMIND_WORKDAYS = int(os.environ.get("MATERIALS_REMIND_WORKDAYS", "3"))
MATERIALS_TEXT_MAX_CHARS = int(os.environ.get("MATERIALS_TEXT_MAX_CHARS", "200000"))
EVIDENCE_MAX_BYTES = int(os.environ.get("EVIDENCE_MAX_BYTES", str(8 * 1024 * 1024)))
EVIDENCE_MAX_PIXELS = int(os.environ.get("EVIDENCE_MAX_PIXELS", str(40_000_000)))
# An upright JPEG is kept as its own pixels, re-written without metadata; true decodes and re-encodes it too.
EVIDENCE_REENCODE_ALL = env_bool("EVIDENCE_REENCODE_ALL", False)
# Photos decoded at once per process; a request that gets no slot within the wait answers 503 (Retry-After).
EVIDENCE_DECODE_CONCURRENCY = int(os.environ.get("EVIDENCE_DECODE_CONCURRENCY", "2"))
EVIDENCE_DECODE_WAIT_SECONDS = float(os.environ.get("EVIDENCE_DECODE_WAIT_SECONDS", "5"))
# Stored photos are scaled down to this longest side (pixels); display copies are smaller still.
EVIDENCE_MAX_SIDE = int(os.environ.get("EVIDENCE_MAX_SIDE", "4096"))
# A photo whose shorter side is below this (pixels, read from the header) is refused: phones take at least
# 480; 240 leaves room for a cropped or messenger-shrunk picture and still shows a scene (docs/evidence.md).
EVIDENCE_MIN_SIDE = int(os.environ.get("EVIDENCE_MIN_SIDE", "240"))
# A TrueType/OpenType font with Chinese glyphs for watermarks; empty: the first of Debian's CJK fonts found.
EVIDENCE_WATERMARK_FONT = os.environ.get("EVIDENCE_WATERMARK_FONT", "")
# The task worker's threads run at this Linux niceness, so uploads are answered first (0: unchanged).
TASK_WORKER_NICENESS = int(os.environ.get("TASK_WORKER_NICENESS", "19"))
# Only the ingest benchmark sets this: a baseline endpoint that stores bytes and a row without any check.
BENCH_BASELINE = env_bool("CHUANGWEN_BENCH_BASELINE", False) and not PRODUCTION

# --- Language ----------------------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "chuangwen" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Security ----------------------------------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        # Django's default list names first_name/last_name, which this project does not fill in.
        "OPTIONS": {"user_attributes": ("username", "full_name", "email")},
    },
    {"NAME": "chuangwen.accounts.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "chuangwen.accounts.passwords.CharacterClassValidator"},
    # The similarity check lets the username typed twice through (ratio 0.67 < 0.7): refuse containment.
    {"NAME": "chuangwen.accounts.passwords.UsernameInPasswordValidator"},
]
# Lockout: this many failures inside the window lock the account (or the address) for the window.
LOCKOUT_ACCOUNT_FAILURES = int(os.environ.get("LOCKOUT_ACCOUNT_FAILURES", "5"))
LOCKOUT_ADDRESS_FAILURES = int(os.environ.get("LOCKOUT_ADDRESS_FAILURES", "20"))
LOCKOUT_WINDOW_SECONDS = int(os.environ.get("LOCKOUT_WINDOW_SECONDS", "900"))
SESSION_IDLE_SECONDS = int(os.environ.get("SESSION_IDLE_SECONDS", "1800"))
SESSION_ABSOLUTE_SECONDS = int(os.environ.get("SESSION_ABSOLUTE_SECONDS", str(12 * 3600)))
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Roles that must use a TOTP second factor, e.g. "admin,coordinator" (production default).
REQUIRE_2FA_ROLES = env_list("REQUIRE_2FA_ROLES", "admin,coordinator" if PRODUCTION else "")
AUDIT_RETENTION_DAYS = max(180, int(os.environ.get("AUDIT_RETENTION_DAYS", "365")))
# API tokens expire this many days after they are issued (chuangwen issue-token; docs/security.md).
API_TOKEN_DAYS = max(1, int(os.environ.get("API_TOKEN_DAYS", "90")))
# How long a process reuses a token owner it loaded while the owner's role, unit and unit path are unchanged
# (every request still checks the token itself); 0: load the owner every time. See accounts/token_cache.py.
API_TOKEN_CACHE_SECONDS = max(0, int(os.environ.get("API_TOKEN_CACHE_SECONDS", "60")))


def _trusted_proxies() -> list[str]:
    """Proxies (addresses or CIDRs) whose X-Forwarded-For names the client; a typo stops the start."""
    entries = env_list("TRUSTED_PROXIES", "")
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise RuntimeError(f"TRUSTED_PROXIES: {entry!r} is not an IP address or network") from None
    return entries


# Empty: the connecting address is the client (no proxy is believed). See chuangwen/core/web.py::client_ip.
TRUSTED_PROXIES = _trusted_proxies()

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-less meta tag; harmless either way
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    if not os.environ.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY must be set when CHUANGWEN_MODE=production")
    DEBUG = False
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")


# --- Audit chain keys and external checkpoints (docs/security.md, "Audit chain") ---------------------------
def _audit_hmac_keys() -> tuple[tuple[str, str], ...]:
    """The audit chain's HMAC keys (first signs, all verify): from AUDIT_HMAC_KEY or AUDIT_HMAC_KEY_FILE;
    the embedded default keeps a generated one under var/. Never SECRET_KEY: the two must be separable."""
    from chuangwen.audit import keyring

    text, key_file = os.environ.get("AUDIT_HMAC_KEY", ""), os.environ.get("AUDIT_HMAC_KEY_FILE", "")
    if text and key_file:
        raise RuntimeError("set AUDIT_HMAC_KEY or AUDIT_HMAC_KEY_FILE, not both")
    if key_file:
        try:
            text = Path(key_file).read_text()
        except OSError as exc:
            raise RuntimeError(f"AUDIT_HMAC_KEY_FILE cannot be read: {exc.strerror}") from exc
    elif not text:
        if PRODUCTION:
            raise RuntimeError(
                "AUDIT_HMAC_KEY or AUDIT_HMAC_KEY_FILE must be set when CHUANGWEN_MODE=production"
            )
        text = keyring.load_or_create(VAR_DIR / "audit_hmac_key")
    try:
        keys = keyring.parse(text)
    except keyring.KeyringError as exc:
        raise RuntimeError(f"AUDIT_HMAC_KEY: {exc}") from exc
    if any(key == SECRET_KEY for _id, key in keys):
        raise RuntimeError("AUDIT_HMAC_KEY must not be the SECRET_KEY")
    return keys


AUDIT_HMAC_KEYS = _audit_hmac_keys()
# Append-only JSON lines of (seq, hash, time, HMAC), written every ten minutes; `chattr +a` it in production.
AUDIT_ANCHOR_FILE: Path | None = Path(os.environ.get("AUDIT_ANCHOR_FILE") or VAR_DIR / "audit-anchors.jsonl")

# --- Maps ---------------------------------------------------------------------------------------------------
# No tiles by default (no outside network); set a Tianditu or local tile server URL template to show one.
MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "")
MAP_TILE_ATTRIBUTION = os.environ.get("MAP_TILE_ATTRIBUTION", "")
# A point outside every boundary but at most this far from one is assigned to the nearest unit (flagged).
SITE_OUTSIDE_TOLERANCE_M = float(os.environ.get("SITE_OUTSIDE_TOLERANCE_M", "100"))
# Sibling boundaries may touch; an overlap larger than this (square metres) refuses the boundary import.
BOUNDARY_OVERLAP_TOLERANCE_M2 = float(os.environ.get("BOUNDARY_OVERLAP_TOLERANCE_M2", "1"))


# --- Content-Security-Policy (docs/security.md, "Script injection and Content-Security-Policy") -----------
def _tile_source(url: str) -> list[str]:
    """The CSP source of MAP_TILE_URL's host ("https://t{s}.tianditu.gov.cn/…" → "https://*.tianditu.gov.cn");
    nothing for a tile server on this site (a relative URL), which 'self' already allows."""
    from urllib.parse import urlsplit

    parts = urlsplit(url.replace("{s}", "SUBDOMAIN"))
    if not parts.netloc:
        return []
    labels = parts.netloc.split(".")
    templated = [i for i, label in enumerate(labels) if "SUBDOMAIN" in label or "{" in label]
    host = ".".join(["*", *labels[templated[-1] + 1 :]]) if templated else parts.netloc
    return [f"{parts.scheme}://{host}" if parts.scheme else host]


# enforce (default) | report-only (violations are reported, nothing is blocked) | off
CSP_MODE = os.environ.get("CSP_MODE", "enforce").strip().lower()
if CSP_MODE not in {"enforce", "report-only", "off"}:
    raise RuntimeError("CSP_MODE must be enforce, report-only or off")
CSP_REPORT_URL = "/csp-report/"  # chuangwen.core.urls: core:csp_report
CSP_REPORT_MAX_BYTES = 16 * 1024
# Reports accepted per address within the window; the rest are answered 429 and not stored.
CSP_REPORT_RATE_LIMIT = int(os.environ.get("CSP_REPORT_RATE_LIMIT", "60"))
CSP_REPORT_RATE_WINDOW_SECONDS = int(os.environ.get("CSP_REPORT_RATE_WINDOW_SECONDS", "600"))
CSP_REPORT_RETENTION_DAYS = 180


def _csp_policy() -> dict[str, Any]:
    from csp.constants import NONCE, NONE, REPORT_SAMPLE, SELF

    return {
        "DIRECTIVES": {
            "default-src": [SELF],
            # NONCE becomes 'nonce-…' only on a page that asked for request.csp_nonce (the phone app's import
            # map); everywhere else script-src is just 'self'. No 'unsafe-inline', no 'unsafe-eval'.
            # 'report-sample' puts the first characters of a refused inline script or style in the report.
            "script-src": [SELF, REPORT_SAMPLE, NONCE],
            "style-src": [SELF, REPORT_SAMPLE],
            "img-src": [SELF, "data:", "blob:", *_tile_source(MAP_TILE_URL)],
            "connect-src": [SELF],
            "worker-src": [SELF],
            "frame-ancestors": [NONE],
            "base-uri": [SELF],
            "form-action": [SELF],
            "object-src": [NONE],
            "report-uri": CSP_REPORT_URL,
        }
    }


CONTENT_SECURITY_POLICY: dict[str, Any] | None = _csp_policy() if CSP_MODE == "enforce" else None
CONTENT_SECURITY_POLICY_REPORT_ONLY: dict[str, Any] | None = (
    _csp_policy() if CSP_MODE == "report-only" else None
)

# How long a capture token (evidence/capture.py) binds photos to its case or visit: a day of field work.
EVIDENCE_CAPTURE_TOKEN_SECONDS = int(os.environ.get("EVIDENCE_CAPTURE_TOKEN_SECONDS", str(24 * 3600)))

# --- Photo checks of rectification photos (cases/photochecks.py) ------------------------------------------
# A photo taken farther than this from the problem (after allowing for its GPS accuracy) is flagged.
CASES_PHOTO_MAX_DISTANCE_M = float(os.environ.get("CASES_PHOTO_MAX_DISTANCE_M", "200"))
# Perceptual hashes at most this many bits apart (of 64) count as the same picture when the photos are too
# plain for the keypoint comparison (evidence/forensics.py) to align them.
CASES_PHASH_MAX_DISTANCE = int(os.environ.get("CASES_PHASH_MAX_DISTANCE", "6"))
# Reuse of another case's photo: the nearest stored hashes within this many bits (the photo's and its mirror
# image's) are compared by keypoints, at most CASES_REUSE_CANDIDATES of them.
CASES_REUSE_CANDIDATE_BITS = int(os.environ.get("CASES_REUSE_CANDIDATE_BITS", "20"))
CASES_REUSE_CANDIDATES = int(os.environ.get("CASES_REUSE_CANDIDATES", "8"))

# --- Cases (docs/cases.md) ----------------------------------------------------------------------------
# Share of cases picked at random when closed for a second check by another verifier (抽查复核).
CASES_REVERIFY_SHARE = float(os.environ.get("CASES_REVERIFY_SHARE", "0.1"))
# A finding of the same site and item this many days after a case was closed marks a recurrence (复发).
CASES_RECURRENCE_DAYS = int(os.environ.get("CASES_RECURRENCE_DAYS", "90"))
# Escalation: the leaders hear of a case this many working days after its deadline passed.
CASES_LEADER_AFTER_WORKDAYS = int(os.environ.get("CASES_LEADER_AFTER_WORKDAYS", "3"))
# A 12345 hotline order without a 办理时限 is due this many working days after it was taken.
CASES_HOTLINE_DEFAULT_DAYS = int(os.environ.get("CASES_HOTLINE_DEFAULT_DAYS", "5"))
# The case list API counts exactly up to this many cases, then says "10 000+" (docs/cases.md).
CASES_LIST_COUNT_CAP = int(os.environ.get("CASES_LIST_COUNT_CAP", "10000"))
# Every date anyone enters lies from 1 January N years back to today + M years (chuangwen/core/bounds.py).
DATE_PAST_YEARS = int(os.environ.get("DATE_PAST_YEARS", "20"))
DATE_FUTURE_YEARS = int(os.environ.get("DATE_FUTURE_YEARS", "5"))

# --- Citizen reports (随手拍, docs/reports.md) -----------------------------------------------------------
# At most N reports per sender address in the window (seconds), and per phone number.
REPORTS_ADDRESS_LIMIT = int(os.environ.get("REPORTS_ADDRESS_LIMIT", "5"))
REPORTS_ADDRESS_WINDOW_SECONDS = int(os.environ.get("REPORTS_ADDRESS_WINDOW_SECONDS", "600"))
REPORTS_PHONE_LIMIT = int(os.environ.get("REPORTS_PHONE_LIMIT", "10"))
REPORTS_PHONE_WINDOW_SECONDS = int(os.environ.get("REPORTS_PHONE_WINDOW_SECONDS", "86400"))
# And per device (the /s/ pages' device cookie; Open311's device_id). Refused attempts count too.
REPORTS_DEVICE_LIMIT = int(os.environ.get("REPORTS_DEVICE_LIMIT", "5"))
REPORTS_DEVICE_WINDOW_SECONDS = int(os.environ.get("REPORTS_DEVICE_WINDOW_SECONDS", "600"))
# “我也遇到” (me too): at most N per sender address and per device in the window.
REPORTS_SUPPORT_ADDRESS_LIMIT = int(os.environ.get("REPORTS_SUPPORT_ADDRESS_LIMIT", "10"))
REPORTS_SUPPORT_DEVICE_LIMIT = int(os.environ.get("REPORTS_SUPPORT_DEVICE_LIMIT", "5"))
REPORTS_SUPPORT_WINDOW_SECONDS = int(os.environ.get("REPORTS_SUPPORT_WINDOW_SECONDS", "600"))
# After this many attempts from one address within the address window, the page asks for an image captcha.
REPORTS_CAPTCHA_AFTER = int(os.environ.get("REPORTS_CAPTCHA_AFTER", "2"))
REPORTS_NEARBY_M = float(os.environ.get("REPORTS_NEARBY_M", "100"))
REPORTS_REOPEN_DAYS = int(os.environ.get("REPORTS_REOPEN_DAYS", "7"))
REPORTS_MAX_PHOTOS = int(os.environ.get("REPORTS_MAX_PHOTOS", "6"))

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "10"))  # Django's default waits forever on a dead server
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "chuangwen@localhost")
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)

# --- Notifications (docs/notifications.md) -----------------------------------------------------------------
# Outgoing messages (e-mail, DingTalk, WeCom) link back to the site with absolute URLs built on this.
CHUANGWEN_BASE_URL = os.environ.get("CHUANGWEN_BASE_URL", "http://127.0.0.1:8000")
# Where `chuangwen up` and `serve` listen, how many web workers they run, and the memory (MiB) past which a
# web worker is replaced (0: never); each may also be given on the command line.
CHUANGWEN_HOST = os.environ.get("CHUANGWEN_HOST", "127.0.0.1")
CHUANGWEN_PORT = int(os.environ.get("CHUANGWEN_PORT", "8000"))
WEB_WORKERS = int(os.environ.get("WEB_WORKERS", "2"))
WEB_WORKER_MAX_RSS = int(os.environ.get("WEB_WORKER_MAX_RSS", "1024"))
# Open311 GeoReport v2 (docs/open311.md): the jurisdiction served (default: the host of CHUANGWEN_BASE_URL)
# and the contact shown in service discovery (default: 区文明办（创建办）).
OPEN311_JURISDICTION_ID = os.environ.get("OPEN311_JURISDICTION_ID", "")
OPEN311_CONTACT = os.environ.get("OPEN311_CONTACT", "")
NOTIFY_HTTP_TIMEOUT = float(os.environ.get("NOTIFY_HTTP_TIMEOUT", "5"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# 问卷调查 (docs/surveys.md, "Personal data"): respondents' keyed phone/device hashes and interview positions
# are cleared this many days after a wave is published (answers stay, anonymous, so results can be
# recomputed); coaching records lose their household hash after a year (no exclusion period is longer).
SURVEY_IDENTIFIER_DAYS = max(30, int(os.environ.get("SURVEY_IDENTIFIER_DAYS", "180")))
SURVEY_COACHING_KEY_DAYS = 366
# Self-completion (/q/): submissions per sender address and per device an hour; the captcha from this many
# attempts of one address within the hour (docs/surveys.md, "Self-completion").
SURVEY_ADDRESS_LIMIT = int(os.environ.get("SURVEY_ADDRESS_LIMIT", "300"))
SURVEY_DEVICE_LIMIT = int(os.environ.get("SURVEY_DEVICE_LIMIT", "10"))
SURVEY_CAPTCHA_AFTER = int(os.environ.get("SURVEY_CAPTCHA_AFTER", "10"))

# --- 志愿服务 (docs/volunteers.md) ---
# Uniform volunteer numbers read PREFIX + year + a 7-digit sequence (e.g. ZY20260000001).
VOLUNTEER_NUMBER_PREFIX = os.environ.get("VOLUNTEER_NUMBER_PREFIX", "ZY")
# Younger residents serve with a guardian and are not registered on their own.
VOLUNTEER_MIN_AGE = 14
# Public pages (/v/): registrations per sender address, and service requests (点单) per address and device,
# within the window.
VOLUNTEER_WINDOW_SECONDS = int(os.environ.get("VOLUNTEER_WINDOW_SECONDS", "3600"))
VOLUNTEER_REGISTER_ADDRESS_LIMIT = int(os.environ.get("VOLUNTEER_REGISTER_ADDRESS_LIMIT", "10"))
VOLUNTEER_REQUEST_ADDRESS_LIMIT = int(os.environ.get("VOLUNTEER_REQUEST_ADDRESS_LIMIT", "5"))
VOLUNTEER_REQUEST_DEVICE_LIMIT = int(os.environ.get("VOLUNTEER_REQUEST_DEVICE_LIMIT", "3"))

# --- 个人信息保护 (docs/privacy.md) ---
# Retention in days of each kind of personal data; the daily purge (privacy.tasks, `chuangwen privacy purge`)
# clears or deletes what is older. Floors keep each period longer than what the feature itself needs.
# Reporter's phone, sender-address hash and rating comment: days after the report's case last changed, once it
# is no longer open (never less than the reopening period).
PRIVACY_REPORT_DAYS = max(REPORTS_REOPEN_DAYS + 1, int(os.environ.get("PRIVACY_REPORT_DAYS", "365")))
# 点单: requester's name and phone, days after the request was finished, refused or withdrawn.
PRIVACY_SERVICE_REQUEST_DAYS = max(30, int(os.environ.get("PRIVACY_SERVICE_REQUEST_DAYS", "365")))
# Failed logins (user name typed, sender address): longer than any lockout window.
PRIVACY_LOGIN_FAILURE_DAYS = max(1, int(os.environ.get("PRIVACY_LOGIN_FAILURE_DAYS", "30")))
# API tokens: deleted this many days after they expired or were revoked.
PRIVACY_API_TOKEN_DAYS = max(0, int(os.environ.get("PRIVACY_API_TOKEN_DAYS", "90")))
# Deactivated accounts: phone and e-mail cleared this many days after the last sign-in (the name stays on
# the records the person signed).
PRIVACY_ACCOUNT_DAYS = max(30, int(os.environ.get("PRIVACY_ACCOUNT_DAYS", "365")))
# Sent or abandoned e-mail/robot deliveries: recipient address, body and payload cleared after this many days.
PRIVACY_DELIVERY_DAYS = max(7, int(os.environ.get("PRIVACY_DELIVERY_DAYS", "180")))
# Records of applied API writes (who sent which client id for what): deleted after this many days, long after
# any resend of a lost answer could come.
PRIVACY_API_WRITE_DAYS = max(7, int(os.environ.get("PRIVACY_API_WRITE_DAYS", "90")))
# The citizen's own-data page and API (/s/privacy/): attempts per sender address, per device and per
# tracking code within the window; the captcha from this many attempts of one address.
PRIVACY_REQUEST_WINDOW_SECONDS = int(os.environ.get("PRIVACY_REQUEST_WINDOW_SECONDS", "3600"))
PRIVACY_REQUEST_ADDRESS_LIMIT = int(os.environ.get("PRIVACY_REQUEST_ADDRESS_LIMIT", "10"))
PRIVACY_REQUEST_DEVICE_LIMIT = int(os.environ.get("PRIVACY_REQUEST_DEVICE_LIMIT", "10"))
PRIVACY_REQUEST_CODE_LIMIT = int(os.environ.get("PRIVACY_REQUEST_CODE_LIMIT", "5"))
PRIVACY_REQUEST_CAPTCHA_AFTER = int(os.environ.get("PRIVACY_REQUEST_CAPTCHA_AFTER", "2"))
