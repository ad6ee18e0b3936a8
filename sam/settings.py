"""Settings for the whole product, driven by environment variables.

SAM_ENV chooses the mode: ``development`` (default), ``test`` or
``production``. Production has no defaults for secrets or hosts and refuses
to start, naming the missing variable. See .env.example for every variable.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import cast

import django_stubs_ext
from celery.schedules import crontab
from redis.backoff import NoBackoff
from redis.retry import Retry

from sam.env import Env, MissingSetting, database_from_url, load_dotenv

django_stubs_ext.monkeypatch()  # ModelForm[Account] and the like work at run time as they do for mypy

load_dotenv(Path(__file__).resolve().parent.parent / ".env")

BASE_DIR = Path(__file__).resolve().parent.parent

SAM_ENV = os.environ.get("SAM_ENV", "development").strip().lower()
if SAM_ENV not in {"development", "test", "production"}:
    raise RuntimeError(f"SAM_ENV must be development, test or production, got {SAM_ENV!r}.")
PRODUCTION = SAM_ENV == "production"
TESTING = SAM_ENV == "test"
if not PRODUCTION:
    # The addresses of this checkout's embedded PostgreSQL and Redis while `make run` or `make test` keeps them
    # up (sam/localstack.py), so a manage.py command run by hand finds them too.
    load_dotenv(BASE_DIR / "var" / "services.env")
env = Env(production=PRODUCTION)
# Where PostgreSQL and Redis run in development and tests, when DATABASE_URL / REDIS_URL do not say.
_POSTGRES_ADDRESS = env.string("SAM_POSTGRES_ADDRESS", "127.0.0.1:5432", required=False)
_REDIS_ADDRESS = env.string("SAM_REDIS_ADDRESS", "127.0.0.1:6379", required=False)

DEBUG = env.boolean("DEBUG", default=SAM_ENV == "development")
SECRET_KEY = env.string("SECRET_KEY", "dev-only-insecure-key-change-me-0123456789-abcdefghijklmnopqrstuvwxyz")
if PRODUCTION and DEBUG:
    raise MissingSetting("Unsafe setting: DEBUG must be off in production (SAM_ENV=production). See .env.example.")
if PRODUCTION and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 10 or "insecure" in SECRET_KEY):
    raise MissingSetting(
        "Unsafe setting: SECRET_KEY must be at least 50 random characters in production, e.g. from "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`. See .env.example."
    )
ALLOWED_HOSTS = env.strings("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env.strings("CSRF_TRUSTED_ORIGINS", "", required=False)
SITE_URL = env.string("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "sam.admin_site.PlatformAdminConfig",  # Django's admin, signing in through the product's own sign-in
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "sam",
    "accounts",
    "scorecards",
    "qbr",
    "assessments",
    "voc",
    "dashboard",
    "portal",
    "search",
]

MIDDLEWARE = [
    "sam.authlog.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "sam.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "sam.security.RateLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "portal.middleware.PortalBoundaryMiddleware",
    "sam.tenancy.middleware.TenantMiddleware",
    "sam.sessions.SessionLimitsMiddleware",
    "sam.twofactor.middleware.TwoFactorRequiredMiddleware",
]

ROOT_URLCONF = "sam.urls"
WSGI_APPLICATION = "sam.wsgi.application"
AUTH_USER_MODEL = "sam.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "sam.context_processors.tenancy",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------
# The app connects as a role that neither owns the tables nor bypasses
# row-level security; `manage.py migrate` switches to the owner role.
DATABASE_URL = env.string("DATABASE_URL", f"postgres://sam_app@{_POSTGRES_ADDRESS}/sam")
# Only `manage.py migrate` uses the owner role; the web, worker and beat
# processes of a production deployment need not (and should not) know it.
DATABASE_OWNER_URL = env.string(
    "DATABASE_OWNER_URL", "" if PRODUCTION else f"postgres://sam_owner@{_POSTGRES_ADDRESS}/sam", required=False
)
# Only `manage.py backup` and `restore` use the backup role (it reads every workspace's rows).
DATABASE_BACKUP_URL = env.string(
    "DATABASE_BACKUP_URL", "" if PRODUCTION else f"postgres://sam_backup@{_POSTGRES_ADDRESS}/sam", required=False
)
_default_db = database_from_url(DATABASE_URL)
_default_db.update(
    {
        # Django's PostgreSQL backend, aware of the tenant in the tables' primary keys (sam/tenancy/keys.py).
        "ENGINE": "sam.tenancy.postgresql",
        # A PostgreSQL connection costs more than a small request: keep it.
        "CONN_MAX_AGE": env.integer("DB_CONN_MAX_AGE", 600),
        "CONN_HEALTH_CHECKS": True,
        "TEST": {"NAME": env.string("TEST_DATABASE_NAME", "test_sam", required=False)},
    }
)
# Behind a connection pooler in transaction mode (PgBouncer's pool_mode = transaction, docs/scaling.md) each
# transaction may run on another server connection: nothing may outlive a transaction on its server. The tenant
# settings are transaction-local anyway (sam/tenancy/context.py); this turns off what is not: prepared statements
# and Django's server-side cursors (``.iterator()``).
DB_TRANSACTION_POOLING = env.boolean("DB_TRANSACTION_POOLING", False)
# Django's queries bind on the client and are never prepared. The few hot paths that run through
# ``sam.db.run_together(prepared=True)`` bind on the server and are prepared on first use, once per connection.
# Off (``false``) for a connection pooler in transaction mode that cannot keep prepared statements (PgBouncer
# before 1.21, or with max_prepared_statements = 0).
DB_PREPARED_STATEMENTS = env.boolean("DB_PREPARED_STATEMENTS", not DB_TRANSACTION_POOLING)
# For the statements bound on the server: 0 prepares each on first use, None (Django's default) never.
_default_db["OPTIONS"] = {
    **cast(dict[str, object], _default_db.get("OPTIONS", {})),
    "prepare_threshold": 0 if DB_PREPARED_STATEMENTS else None,
}
_default_db["DISABLE_SERVER_SIDE_CURSORS"] = DB_TRANSACTION_POOLING
DATABASES = {"default": _default_db}
# A streaming replica (a hot standby of the same database, the app role as on the primary) for the dashboard's and
# the reports' reads only (sam/replica.py); without one everything reads from the primary. A replica further
# behind than DB_REPLICA_MAX_LAG seconds, or not answering, is left alone until a check DB_REPLICA_CHECK_INTERVAL
# seconds later finds it well; a read waits up to DB_REPLICA_WAIT_MS for the replica to replay what the primary
# had written when the read began, else it reads from the primary.
DATABASE_REPLICA_URL = env.string("DATABASE_REPLICA_URL", "", required=False)
if DATABASE_REPLICA_URL:
    _replica_db = database_from_url(DATABASE_REPLICA_URL)
    DATABASES["replica"] = {
        **_default_db,
        **{key: _replica_db[key] for key in ("NAME", "USER", "PASSWORD", "HOST", "PORT")},
        "OPTIONS": {
            **cast(dict[str, object], _default_db["OPTIONS"]),
            "connect_timeout": 2,  # a replica that is down must not hold the page up
            **cast(dict[str, object], _replica_db["OPTIONS"]),
        },
        "TEST": {"MIRROR": "default"},
    }
DB_REPLICA_MAX_LAG = env.integer("DB_REPLICA_MAX_LAG", 10)
DB_REPLICA_CHECK_INTERVAL = env.integer("DB_REPLICA_CHECK_INTERVAL", 5)
DB_REPLICA_WAIT_MS = env.integer("DB_REPLICA_WAIT_MS", 200)
DATABASE_ROUTERS = ["sam.replica.ReplicaRouter"]
DB_OWNER = database_from_url(DATABASE_OWNER_URL) if DATABASE_OWNER_URL else None
DB_BACKUP = database_from_url(DATABASE_BACKUP_URL) if DATABASE_BACKUP_URL else None
DB_APP_ROLE = str(_default_db["USER"])
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and Celery -----------------------------------------------------
REDIS_URL = env.string("REDIS_URL", f"redis://{_REDIS_ADDRESS}/{15 if TESTING else 0}")
CACHES = {
    "default": {
        "BACKEND": "sam.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "sam-test" if TESTING else "sam",
        # A Redis that hangs costs a page at most these seconds before the cache answers a miss (sam/cache.py);
        # one retry on a fresh connection, for the pooled sockets a restarted Redis has closed.
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2, "retry": Retry(NoBackoff(), 1)},
    }
}

CELERY_BROKER_URL = env.string("CELERY_BROKER_URL", REDIS_URL, required=False) or REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "sam.tasks.send_outbound_email": {"queue": "email", "routing_key": "email"},
    "sam.tasks.send_platform_email": {"queue": "email", "routing_key": "email"},
    "sam.documents.render_document": {"queue": "reports", "routing_key": "reports"},
}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Unacknowledged tasks come back after this long if the worker vanished.
    "visibility_timeout": env.integer("CELERY_VISIBILITY_TIMEOUT", 3600),
}
# The periodic "make it so" jobs. `manage.py tick` runs each once.
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "sam.outbox.flush": {"task": "sam.tasks.outbox_flush", "schedule": timedelta(minutes=1)},
    "sam.outbox.prune": {"task": "sam.tasks.outbox_prune", "schedule": crontab(hour=3, minute=17)},
    "sam.documents.stale": {"task": "sam.documents.sweep_stale", "schedule": timedelta(minutes=1)},
    "scorecards.alerts": {"task": "scorecards.tasks.alerts_sweep_all", "schedule": timedelta(minutes=30)},
    "qbr.schedule": {"task": "qbr.tasks.schedule_all", "schedule": timedelta(minutes=60)},
    "qbr.reminders": {"task": "qbr.tasks.reminders_all", "schedule": timedelta(minutes=15)},
    "voc.campaigns": {"task": "voc.tasks.campaigns_tick", "schedule": timedelta(minutes=1)},
    "assessments.prompts": {"task": "assessments.tasks.prompts_all", "schedule": timedelta(minutes=60)},
    "assessments.progress_yearly": {"task": "assessments.tasks.progress_reports_all", "schedule": timedelta(hours=1)},
    "dashboard.monthly_review": {"task": "dashboard.tasks.monthly_review_all", "schedule": timedelta(minutes=60)},
    "accounts.renewal_outcomes": {"task": "accounts.tasks.outcome_prompts_all", "schedule": timedelta(minutes=60)},
    "accounts.decisions": {"task": "accounts.tasks.decisions_sweep_all", "schedule": timedelta(minutes=60)},
    "portal.owner_digests": {"task": "portal.tasks.owner_digests_all", "schedule": crontab(minute=5)},
    "accounts.removed_purge": {
        "task": "accounts.tasks.removed_accounts_purge_all",
        "schedule": crontab(hour=3, minute=41),
    },
    "accounts.recurring_issues": {
        "task": "accounts.tasks.recurring_issues_sweep_all",
        "schedule": timedelta(minutes=15),
    },
    # Last, so `manage.py tick` fires playbooks on what the jobs above brought up to date.
    "accounts.playbooks": {"task": "accounts.tasks.playbooks_check_all", "schedule": timedelta(minutes=5)},
}
# For fault drills and demos only: run the interval jobs this many times as often (the daily and hourly crontab
# ones keep their clock time). The jobs are safe to run at any rate; the drills check that (scripts/drills.py).
BEAT_SPEEDUP = env.integer("BEAT_SPEEDUP", 1)
if BEAT_SPEEDUP > 1:
    for _job in CELERY_BEAT_SCHEDULE.values():
        if isinstance(_job["schedule"], timedelta):
            _job["schedule"] = _job["schedule"] / BEAT_SPEEDUP

# --- Auth -----------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "sam.auth_backend.CachedModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lockout: after this many failures for one email from one address, wait.
AXES_FAILURE_LIMIT = env.integer("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env.integer("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "sam.security.axes_client_ip"
# What a failed attempt records of the form: axes' own masked fields, and never a code typed at the second step.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "password", "code"]
# Two-factor sign-in (sam/twofactor/): a person's TOTP device, made and checked through django-otp. Its key is
# named after the product in the authenticator app; the platform admin lists devices without showing their keys.
OTP_TOTP_ISSUER = env.string("OTP_TOTP_ISSUER", "SAM", required=False) or "SAM"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# After a wrong code the device waits 1, 2, 4... seconds before it checks another (on top of the lockout above).
OTP_TOTP_THROTTLE_FACTOR = 1
# Login attempts per client address per minute, whatever the username.
LOGIN_RATE_LIMIT = env.integer("LOGIN_RATE_LIMIT", 20)
PASSWORD_RESET_RATE_LIMIT = env.integer("PASSWORD_RESET_RATE_LIMIT", 5)
# Emailed survey links presented per client address per minute.
SURVEY_RATE_LIMIT = env.integer("SURVEY_RATE_LIMIT", 30)
# The customer portal: how long an emailed sign-in link works, and how long a portal session may sit idle.
PORTAL_LINK_MINUTES = env.integer("PORTAL_LINK_MINUTES", 30)
PORTAL_IDLE_MINUTES = env.integer("PORTAL_IDLE_MINUTES", 120)
# Portal sign-in links presented per client address per minute, and how many bad ones lock the address out
# (for PORTAL_LOCKOUT_MINUTES); requests for a new link per client address per minute.
PORTAL_LINK_RATE_LIMIT = env.integer("PORTAL_LINK_RATE_LIMIT", 20)
PORTAL_BAD_LINK_LIMIT = env.integer("PORTAL_BAD_LINK_LIMIT", 10)
PORTAL_LOCKOUT_MINUTES = env.integer("PORTAL_LOCKOUT_MINUTES", 15)
PORTAL_LINK_REQUEST_RATE_LIMIT = env.integer("PORTAL_LINK_REQUEST_RATE_LIMIT", 5)
# A survey answer's transaction commits without waiting for its WAL flush (PostgreSQL's synchronous_commit off,
# for that transaction only). A database crash in the next fraction of a second can lose the answer, never half
# of it: the answer and the spent link go together, so the link works again and reminders still reach the
# contact. ``false`` waits for every answer's flush.
SURVEY_ASYNC_COMMIT = env.boolean("SURVEY_ASYNC_COMMIT", True)
# How many reverse proxies in front of the app append to X-Forwarded-For.
# 0: the client address is REMOTE_ADDR. Used by the lockout and rate limits.
TRUSTED_PROXY_COUNT = env.integer("TRUSTED_PROXY_COUNT", 0)

# Sessions live in the database and are cached in Redis (one GET per request); while Redis is out of reach
# they are read from the database alone (the cache answers misses, sam/cache.py).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.boolean("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.integer("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Content-Security-Policy: everything is served from our own origin.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'self'; object-src 'none'"
)

# --- Email ----------------------------------------------------------------
DEFAULT_FROM_EMAIL = env.string("DEFAULT_FROM_EMAIL", "SAM <no-reply@sam.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
_SMTP = "django.core.mail.backends.smtp.EmailBackend"
_DEFAULT_EMAIL_BACKEND = {
    "production": _SMTP,
    "test": "django.core.mail.backends.locmem.EmailBackend",
    "development": "django.core.mail.backends.console.EmailBackend",
}[SAM_ENV]
EMAIL_BACKEND = env.string("EMAIL_BACKEND", _DEFAULT_EMAIL_BACKEND, required=False) or _DEFAULT_EMAIL_BACKEND
# Production mail goes through a real SMTP relay, which must be named.
EMAIL_HOST = env.string("EMAIL_HOST", "localhost", required=EMAIL_BACKEND == _SMTP)
EMAIL_PORT = env.integer("EMAIL_PORT", 25)
EMAIL_HOST_USER = env.string("EMAIL_HOST_USER", "", required=False)
EMAIL_HOST_PASSWORD = env.string("EMAIL_HOST_PASSWORD", "", required=False)
EMAIL_USE_TLS = env.boolean("EMAIL_USE_TLS", False)
EMAIL_FILE_PATH = env.string("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"), required=False)
EMAIL_TIMEOUT = 20
OUTBOX_MAX_ATTEMPTS = env.integer("OUTBOX_MAX_ATTEMPTS", 6)

# --- Static and media ------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env.string("MEDIA_ROOT", str(BASE_DIR / "var" / "media"), required=False))
MEDIA_URL = "/media-not-served/"
# Uploaded files and rendered documents: local files by default; S3-compatible
# storage (AWS, MinIO, Ceph...) with FILE_STORAGE=s3 and the AWS_* variables.
FILE_STORAGE = env.string("FILE_STORAGE", "local", required=False) or "local"
_default_storage: dict[str, object] = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
if FILE_STORAGE == "s3":
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.string("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env.string("AWS_S3_ENDPOINT_URL", "", required=False) or None,
            "region_name": env.string("AWS_S3_REGION_NAME", "", required=False) or None,
            "access_key": env.string("AWS_ACCESS_KEY_ID", "", required=False) or None,
            "secret_key": env.string("AWS_SECRET_ACCESS_KEY", "", required=False) or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns when it is missing

# --- API ------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "sam.api.auth.MembershipTokenAuthentication",
        "sam.api.auth.TenantSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["sam.api.permissions.TenantActionPermission"],
    "DEFAULT_PAGINATION_CLASS": "sam.api.pagination.Pagination",
    "DEFAULT_PARSER_CLASSES": [
        "sam.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "sam.api.schema.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + ([] if PRODUCTION else ["rest_framework.renderers.BrowsableAPIRenderer"]),
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
API_SCHEMA_PUBLIC = env.boolean("API_SCHEMA_PUBLIC", False)
SPECTACULAR_SETTINGS = {
    "TITLE": "SAM API",
    "DESCRIPTION": "Strategic account management. Each token belongs to one membership, so it carries its tenant.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs page show every endpoint and field: for signed-in people and token holders only,
    # unless API_SCHEMA_PUBLIC says otherwise (a public API's documentation).
    "SERVE_PERMISSIONS": [
        "rest_framework.permissions.AllowAny" if API_SCHEMA_PUBLIC else "rest_framework.permissions.IsAuthenticated"
    ],
    "SERVE_AUTHENTICATION": [
        "sam.api.auth.MembershipTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "MemberRoleEnum": "sam.roles.Role",
        "TeamRoleEnum": "accounts.models.TeamRole",
        "BuyerRoleEnum": "accounts.models.BuyerRole",
    },
}

# --- i18n -----------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}},
    "filters": {
        "redact_tokens": {"()": "sam.logfilters.RedactSurveyTokens"},
        "request_id": {"()": "sam.authlog.RequestIdFilter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_tokens", "request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.string("LOG_LEVEL", "INFO", required=False) or "INFO"},
    "loggers": {
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # Django's own console handler would print request errors a second time.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

SILENCED_SYSTEM_CHECKS: list[str] = []
