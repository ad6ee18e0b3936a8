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


# A worker that loses Redis while it holds unacknowledged tasks reaches, through its closed channel, a connection
# that is already gone: putting the tasks back as the channel closes, or acknowledging one that finishes meanwhile.
# kombu 5.7 then raises AttributeError ("'NoneType' object has no attribute 'hostname'" or "... 'client'") and the
# worker stops for good ("Unrecoverable error"), so nothing runs once Redis is back (found by drill b,
# scripts/drills.py). Those tasks are safe where they are: Redis keeps them in its unacknowledged set and gives
# them back after the visibility timeout, every task's side effects are idempotent by a database key, and their
# rows' sweeps send them again sooner. So the worker leaves them there and reconnects.
log = logging.getLogger(__name__)
_restore_unacked: Any = kombu_redis.QoS.restore_unacked
_ack: Any = kombu_redis.QoS.ack
_reject: Any = kombu_redis.QoS.reject


def restore_unacked_or_leave(self: Any, client: Any = None) -> Any:
    try:
        return _restore_unacked(self, client)
    except AttributeError:
        log.warning("broker lost: %d unacknowledged tasks stay in Redis until redelivered", len(self._delivered))
        self._delivered.clear()
        return None


def ack_or_leave(self: Any, delivery_tag: Any) -> None:
    try:
        _ack(self, delivery_tag)
    except AttributeError:
        log.warning("broker lost: a finished task stays in Redis until redelivered (it will find its work done)")
        self._delivered.pop(delivery_tag, None)


def reject_or_leave(self: Any, delivery_tag: Any, requeue: bool = False) -> None:
    try:
        _reject(self, delivery_tag, requeue)
    except AttributeError:
        log.warning("broker lost: a rejected task stays in Redis until redelivered")
        self._delivered.pop(delivery_tag, None)


kombu_redis.QoS.restore_unacked = restore_unacked_or_leave  # type: ignore[method-assign]
kombu_redis.QoS.ack = ack_or_leave  # type: ignore[method-assign]
kombu_redis.QoS.reject = reject_or_leave  # type: ignore[method-assign]
