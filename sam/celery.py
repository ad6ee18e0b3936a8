"""The Celery app: three queues, late acks, one task in flight per worker process."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

from celery import Celery
from django.conf import settings
from kombu.entity import Exchange, Queue
from kombu.transport import redis as kombu_redis

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


# A worker that loses Redis while it holds unacknowledged tasks tries, as the channel closes, to put them back
# through a connection that is already gone; kombu 5.7 then raises AttributeError ("'NoneType' object has no
# attribute 'hostname'") and the worker stops for good ("Unrecoverable error"), so nothing runs when Redis is
# back (found by drill b, scripts/drills.py). Those tasks are safe where they are: Redis keeps them in its
# unacknowledged set, which gives them back after the visibility timeout, and their rows' sweeps send them again
# sooner. So the worker leaves them there and reconnects.
log = logging.getLogger(__name__)
_restore_unacked: Any = kombu_redis.QoS.restore_unacked


def restore_unacked_or_leave(self: Any, client: Any = None) -> Any:
    try:
        return _restore_unacked(self, client)
    except AttributeError:
        log.warning(
            "broker connection lost: %d unacknowledged tasks stay in Redis until redelivered", len(self._delivered)
        )
        self._delivered.clear()
        return None


kombu_redis.QoS.restore_unacked = restore_unacked_or_leave  # type: ignore[method-assign]
