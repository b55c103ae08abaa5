"""Yakuba settings: one module, driven by environment variables with safe demo defaults.

`YAKUBA_PROFILE=production` turns on the hardening that `manage.py check --deploy` expects and makes
`SECRET_KEY` mandatory. Everything else keeps a default that works for the demo on SQLite.
"""

import importlib.util
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("YAKUBA_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PRODUCTION = os.environ.get("YAKUBA_PROFILE", "demo") == "production"

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when YAKUBA_PROFILE=production.")
    SECRET_KEY = "demo-only-insecure-key-do-not-use-in-production-0123456789abcdefghijkl"  # noqa: S105

DEBUG = env_bool("DEBUG", not PRODUCTION)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "yakuba.core.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.mfa",
    # core ← platform ← modules: the order is the layering.
    "yakuba.core",
    "yakuba.platform.audit",
    "yakuba.platform.places",
    "yakuba.platform.accounts",
    "yakuba.platform.notify",
    "yakuba.platform.payments",
    "yakuba.modules.reports",
    "yakuba.modules.opendata",
    "yakuba.modules.procedures",
    "yakuba.modules.reservations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "yakuba.platform.audit.middleware.AuditActorMiddleware",
    "yakuba.core.middleware.ReaderPreferencesMiddleware",
    "yakuba.core.middleware.BusyDatabaseMiddleware",
]

ROOT_URLCONF = "yakuba.config.urls"
WSGI_APPLICATION = "yakuba.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # accounts' overrides of allauth's templates (allauth/layouts, allauth/elements) must win
        # over allauth's own, which come earlier in INSTALLED_APPS.
        "DIRS": [BASE_DIR / "yakuba" / "platform" / "accounts" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "yakuba.core.context_processors.shell",
            ],
        },
    },
]

# SQLite (WAL) by default; PostgreSQL with DATABASE_URL=postgres://user@host:5432/name.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'yakuba.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
        "transaction_mode": "IMMEDIATE",
    }
    # Tests use a file, as a town does: an in-memory database shares one cache between the live
    # server's threads, which answers "locked" at once instead of waiting its busy_timeout.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "accounts:my_page"
LOGOUT_REDIRECT_URL = "core:home"

# Residents and staff sign in with their email address (django-allauth).
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_ADAPTER = "yakuba.platform.accounts.adapter.AccountAdapter"
ACCOUNT_LOGOUT_ON_GET = False
if env_bool("YAKUBA_DISABLE_RATE_LIMITS", False):
    ACCOUNT_RATE_LIMITS = False
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = os.environ.get("MFA_TOTP_ISSUER", "Yakuba")
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = not PRODUCTION
# allauth's passkey forms leave the name field unlabelled (Django would show "Name" in English).
MFA_FORMS = {
    "add_webauthn": "yakuba.platform.accounts.forms.AddPasskeyForm",
    "edit_webauthn": "yakuba.platform.accounts.forms.EditPasskeyForm",
}
SOCIALACCOUNT_ONLY = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False


def openid_connect_providers(environ: Mapping[str, str]) -> dict[str, Any]:
    """allauth's `openid_connect` provider from the OIDC_* variables; empty (off) without an id.

    A function so that the sign-in tests configure a stand-in provider exactly as the site does.
    PKCE (RFC 7636) is on: allauth's OpenID Connect client sends no `nonce`, so without PKCE
    nothing would bind an authorization code to the browser that started the sign-in (RFC 9700
    §2.1.1). Providers that do not know PKCE ignore the extra parameters; OIDC_PKCE=off if one
    rejects them.
    """
    provider_id = environ.get("OIDC_PROVIDER_ID", "")
    if not provider_id:
        return {}
    return {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": environ.get("OIDC_PKCE", "on").strip().lower()
            in {"1", "true", "yes", "on"},
            "APPS": [
                {
                    "provider_id": provider_id,
                    "name": environ.get("OIDC_PROVIDER_NAME", provider_id),
                    "client_id": environ.get("OIDC_CLIENT_ID", ""),
                    "secret": environ.get("OIDC_CLIENT_SECRET", ""),
                    "settings": {"server_url": environ.get("OIDC_SERVER_URL", "")},
                }
            ],
        }
    }


# External identity (e.g. the town's IdP, LINE Login) through OpenID Connect, only when configured.
OIDC_PROVIDER_ID = os.environ.get("OIDC_PROVIDER_ID", "")
SOCIALACCOUNT_PROVIDERS = openid_connect_providers(os.environ)
# allauth trusts an ID token fetched straight from the token endpoint without checking its signature
# (OpenID Connect Core 1.0 §3.1.3.7 allows it over TLS), so the provider must be reached over https.
if (
    PRODUCTION
    and OIDC_PROVIDER_ID
    and not os.environ.get("OIDC_SERVER_URL", "").startswith("https://")
):
    raise ImproperlyConfigured(
        "OIDC_SERVER_URL must be an https:// URL when YAKUBA_PROFILE=production."
    )

# Staff must pass a second factor before the staff console opens; the demo can switch it off.
STAFF_REQUIRE_MFA = env_bool("STAFF_REQUIRE_MFA", PRODUCTION)

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("日本語")), ("en", _("English"))]
# Strings outside any app (settings) are kept with the core app's translations.
LOCALE_PATHS = [BASE_DIR / "yakuba" / "core" / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Leaflet (the report map) is served from the django-leaflet package's static files, without the
# app itself: its admin integration needs GeoDjango (GDAL), which Yakuba does not use.
_leaflet = importlib.util.find_spec("leaflet")
STATICFILES_DIRS = [Path(_leaflet.origin).parent / "static"] if _leaflet and _leaflet.origin else []
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Files that must never have a URL (residents' attachments to applications, the signed copies):
# the "private" storage, outside MEDIA_ROOT; only views that check who asks serve them.
PRIVATE_FILES_ROOT = Path(os.environ.get("PRIVATE_FILES_ROOT", VAR_DIR / "private"))
if PRIVATE_FILES_ROOT.resolve().is_relative_to(MEDIA_ROOT.resolve()):
    raise ImproperlyConfigured("PRIVATE_FILES_ROOT must not be inside MEDIA_ROOT.")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_FILES_ROOT},
    },
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Mail: a real SMTP conversation. The demo points at a local catcher (see README).
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "1025"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Yakuba <noreply@yakuba.invalid>")

# Background jobs: django-tasks on the database queue (django-tasks-db).
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "notify-priority", "notify-bulk"],
    }
}
JOB_MAX_ATTEMPTS = int(os.environ.get("JOB_MAX_ATTEMPTS", "5"))
JOB_RETRY_BASE_SECONDS = int(os.environ.get("JOB_RETRY_BASE_SECONDS", "30"))
# A job still RUNNING after this long is taken as abandoned by a dead worker (manage.py recover_jobs).
JOB_ABANDONED_AFTER_SECONDS = int(os.environ.get("JOB_ABANDONED_AFTER_SECONDS", "900"))

# Content Security Policy (django-csp 4): same-origin only; htmx and our scripts are served locally.
# Map background tiles (地理院タイル by default): fetched by the resident's browser, never by the
# server; the map works without them (a pin on a blank grid) when they cannot be reached.
MAP_TILE_URL = os.environ.get(
    "MAP_TILE_URL", "https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png"
)
MAP_TILE_ATTRIBUTION = os.environ.get(
    "MAP_TILE_ATTRIBUTION",
    '<a href="https://maps.gsi.go.jp/development/ichiran.html">地理院タイル</a>',
)
_tile_origin = "/".join(MAP_TILE_URL.split("/")[:3]) if "://" in MAP_TILE_URL else ""

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:", *([_tile_origin] if _tile_origin else [])],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {"django_tasks": {"level": os.environ.get("TASKS_LOG_LEVEL", "WARNING")}},
}

# --- Notify (町からの通知): channels and delivery. See docs/modules/notify.md. ---
# The address links in mails, LINE and push messages point to (the site as residents reach it).
NOTIFY_PUBLIC_BASE_URL = os.environ.get("NOTIFY_PUBLIC_BASE_URL", "http://127.0.0.1:8000")
# Envelope sender of notices; bounces come back to bounces+<delivery id>@… (VERP).
NOTIFY_BOUNCE_ADDRESS = os.environ.get("NOTIFY_BOUNCE_ADDRESS", "bounces@yakuba.invalid")
# Attempts per delivery before a temporary failure is given up (then the next channel is tried).
NOTIFY_MAX_ATTEMPTS = int(os.environ.get("NOTIFY_MAX_ATTEMPTS", "5"))
# How long a job holds a delivery it is sending; a dead worker's deliveries are taken over after it.
NOTIFY_SENDING_LEASE_SECONDS = int(os.environ.get("NOTIFY_SENDING_LEASE_SECONDS", "300"))
# Sends per second per worker process on each channel (0: no limit).
NOTIFY_RATE_LIMITS = {
    "email": int(os.environ.get("NOTIFY_RATE_EMAIL", "0")),
    "web_push": int(os.environ.get("NOTIFY_RATE_WEB_PUSH", "0")),
    "line": int(os.environ.get("NOTIFY_RATE_LINE", "1000")),
    "sms": int(os.environ.get("NOTIFY_RATE_SMS", "10")),
}
# LINE Messaging API (the town's official account): see docs/modules/notify.md.
NOTIFY_LINE_CHANNEL_ACCESS_TOKEN = os.environ.get("NOTIFY_LINE_CHANNEL_ACCESS_TOKEN", "")
NOTIFY_LINE_CHANNEL_SECRET = os.environ.get("NOTIFY_LINE_CHANNEL_SECRET", "")
NOTIFY_LINE_API_BASE = os.environ.get("NOTIFY_LINE_API_BASE", "https://api.line.me")
# SMS: the dotted path of a gateway class implementing channels.sms.SmsGateway (empty: SMS off).
NOTIFY_SMS_GATEWAY = os.environ.get("NOTIFY_SMS_GATEWAY", "")
# Web Push (VAPID). No private key: the channel is off. Keys: `.venv/bin/vapid --gen` writes
# private_key.pem; `.venv/bin/vapid --applicationServerKey` prints the public key.
NOTIFY_VAPID_PRIVATE_KEY = os.environ.get("NOTIFY_VAPID_PRIVATE_KEY", "")  # PEM or base64url
NOTIFY_VAPID_PUBLIC_KEY = os.environ.get(
    "NOTIFY_VAPID_PUBLIC_KEY", ""
)  # empty: from the private key
NOTIFY_VAPID_SUBJECT = os.environ.get("NOTIFY_VAPID_SUBJECT", "")  # mailto:… or https://…
# Push services a browser subscription may point at (anything else is refused: no requests into
# the town's own network on a resident's say-so).
NOTIFY_PUSH_SERVICE_HOSTS = env_list(
    "NOTIFY_PUSH_SERVICE_HOSTS",
    "fcm.googleapis.com,updates.push.services.mozilla.com,push.apple.com,notify.windows.com",
)
NOTIFY_PUSH_TIMEOUT_SECONDS = float(os.environ.get("NOTIFY_PUSH_TIMEOUT_SECONDS", "10"))

# A cache shared by every process (API rate limits and idempotency keys count across them):
# YAKUBA_CACHE_TABLE names a database cache table (create it with `manage.py createcachetable`).
# Without it each process keeps its own memory cache, which is right for the demo and the tests.
if os.environ.get("YAKUBA_CACHE_TABLE"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": os.environ["YAKUBA_CACHE_TABLE"],
        }
    }

# Citizen reports: sends (reports, comments, reopenings) per hour per account and per IP address.
# Behind a reverse proxy the IP must be the resident's (REMOTE_ADDR), or the IP limit is the town's.
REPORTS_RATE_LIMITS = {
    "account": int(os.environ.get("REPORTS_RATE_LIMIT_ACCOUNT", "10")),
    "ip": int(os.environ.get("REPORTS_RATE_LIMIT_IP", "20")),
}

# Procedures: the town's certificate and private key (PEM) that sign the PDF copy of each filed
# application (申請の控え). `manage.py procedures_signing_certificate` makes a self-signed demo pair.
PROCEDURES_SIGNING_CERT = Path(
    os.environ.get("PROCEDURES_SIGNING_CERT", VAR_DIR / "signing" / "town-certificate.pem")
)
PROCEDURES_SIGNING_KEY = Path(
    os.environ.get("PROCEDURES_SIGNING_KEY", VAR_DIR / "signing" / "town-key.pem")
)

# Who collects fees (procedures' 手数料, reservations' 使用料): the counter until the payments module
# provides another `yakuba.platform.payments.collectors.FeeCollector`.
PAYMENTS_FEE_COLLECTOR = os.environ.get(
    "PAYMENTS_FEE_COLLECTOR", "yakuba.platform.payments.collectors.CounterCollector"
)
