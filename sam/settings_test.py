"""Settings for the test suite: the same module, in test mode."""

import os

os.environ["SAM_ENV"] = "test"

import tempfile
from pathlib import Path

from sam.settings import *  # noqa: F403

MEDIA_ROOT = Path(tempfile.gettempdir()) / "sam-test-media"
