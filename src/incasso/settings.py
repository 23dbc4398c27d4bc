"""Django settings for Incasso, read from the environment.

Every setting that an operator may change comes from an ``INCASSO_*`` environment variable. A value
that is present but malformed stops start-up with a message naming the variable: a settings file
that fails silently is worse than one that does not start.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("INCASSO_VAR_DIR", PROJECT_DIR / "var"))


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean: use 1/0, true/false, yes/no or on/off")


def _env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number") from None


DEBUG = _env_bool("INCASSO_DEBUG", False)

def _secret_key() -> str:
    """INCASSO_SECRET_KEY, else the key generated once for this installation in var/secret_key."""
    key = os.environ.get("INCASSO_SECRET_KEY", "")
    if key:
        if len(key) < 32:
            raise ImproperlyConfigured("INCASSO_SECRET_KEY is too short: use at least 32 random characters")
        return key
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        import secrets

        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = _env_list("INCASSO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = _env_list("INCASSO_CSRF_TRUSTED_ORIGINS", [])

DEFAULT_DATABASE_URL = f"sqlite:///{VAR_DIR / 'incasso.sqlite3'}"
DATABASE_URL = os.environ.get("INCASSO_DATABASE_URL") or DEFAULT_DATABASE_URL
if not DATABASE_URL.startswith(("sqlite:", "postgres:", "postgresql:")):
    raise ImproperlyConfigured(
        f"INCASSO_DATABASE_URL={DATABASE_URL!r}: only sqlite:///PATH and postgresql://... are supported"
    )
try:
    _database = dj_database_url.parse(DATABASE_URL, conn_max_age=60)
except Exception as exc:  # dj-database-url raises several kinds; all mean the same thing here
    raise ImproperlyConfigured(f"INCASSO_DATABASE_URL={DATABASE_URL!r} is malformed: {exc}") from exc
if _database["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock at BEGIN, so two writers queue instead of
    # failing half-way; WAL lets readers (the web UI) go on while an import writes.
    _database["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    _database["CONN_MAX_AGE"] = 0
    Path(_database["NAME"]).parent.mkdir(parents=True, exist_ok=True)
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_filters",
    "ninja",  # serves the API docs page's Swagger UI from its own static files, not a CDN
    "rules.apps.AutodiscoverRulesConfig",
    "allauth",
    "allauth.account",
    "incasso.audit",
    "incasso.accounts",
    "incasso.jobs",
    "incasso.ledger",
    "incasso.disputes",
    "incasso.collections",
    "incasso.cashapp",
    "incasso.dunning",
    "incasso.reports",
    "incasso.operations",
    "incasso.demo",
    "incasso.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
]

ROOT_URLCONF = "incasso.urls"
WSGI_APPLICATION = "incasso.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The web app's templates come first so that they override allauth's (login page, layouts).
        "DIRS": [BASE_DIR / "web" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    }
]

AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "incasso.accounts.backends.PasswordBackend",  # ModelBackend without model permissions (unused here)
    "incasso.accounts.backends.AllauthPasswordBackend",
]
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "incasso.accounts.adapter.NoSignupAdapter"
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGOUT_REDIRECT_URL = "/accounts/login/"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("fr", "Français"),
    ("es", "Español"),
    ("de", "Deutsch"),
    ("it", "Italiano"),
    ("ro", "Română"),
    ("pt", "Português"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [PROJECT_DIR / "node_modules_static"] if (PROJECT_DIR / "node_modules_static").is_dir() else []

EMAIL_HOST = os.environ.get("INCASSO_EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = _env_int("INCASSO_EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("INCASSO_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("INCASSO_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("INCASSO_EMAIL_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("INCASSO_EMAIL_FROM", "incasso@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("INCASSO_LOG_LEVEL", "WARNING")},
}
