"""The Celery app: three queues, late acks, one task in flight per worker process."""

from __future__ import annotations

import os

from celery import Celery
from kombu import Exchange, Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sam.settings")

app = Celery("sam")
app.config_from_object("django.conf:settings", namespace="CELERY")
QUEUES = ("default", "reports", "email")
app.conf.task_queues = [Queue(name, Exchange(name, type="direct"), routing_key=name) for name in QUEUES]
app.conf.task_default_exchange = "default"
app.conf.task_default_routing_key = "default"
app.autodiscover_tasks()
