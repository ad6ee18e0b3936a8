"""Settings for the test suite: the same module, in test mode."""

import os

os.environ["SAM_ENV"] = "test"

from sam.settings import *  # noqa: F403
