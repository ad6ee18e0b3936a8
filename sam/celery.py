"""The Celery app: three queues, late acks, one task in flight per worker process."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from celery import Celery
from django.conf import settings
from kombu.entity import Exchange, Queue

from sam.env import MissingSetting

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sam.settings")

app = Celery("sam")


def _settings_or_exit() -> None:
    """A worker or beat without a required setting says which, in one line."""
    try:
        settings.INSTALLED_APPS  # noqa: B018  (loads the settings)
    except MissingSetting as exc:
        sys.stderr.write(f"{exc}\n")
        sys.exit(1)


if Path(sys.argv[0]).name == "celery":
    _settings_or_exit()
app.config_from_object("django.conf:settings", namespace="CELERY")
QUEUES = ("default", "reports", "email")
app.conf.task_queues = [Queue(name, Exchange(name, type="direct"), routing_key=name) for name in QUEUES]
app.conf.task_default_exchange = "default"
app.conf.task_default_routing_key = "default"
app.autodiscover_tasks()
