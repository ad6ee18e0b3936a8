"""The product's settings plus the bench-only baseline views (never in the product URLconf)."""

from sam.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
DEBUG = False
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]  # noqa: F405
# The survey scenario answers 1,000 invitations from one loopback address.
SURVEY_RATE_LIMIT = 10**9
