"""Build-time settings: collect static files with the production (manifest) storage, no secrets needed."""

import os

os.environ.setdefault("SAM_ENV", "development")

from sam.settings import *  # noqa: F403

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
