from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from sam.celery import app


class Command(BaseCommand):
    help = "Run every periodic job of the beat schedule once, now (for cron deployments and tests)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--only", action="append", default=[], help="Run only these schedule entries.")

    def handle(self, *args: Any, **options: Any) -> None:
        app.loader.import_default_modules()
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
            if options["only"] and name not in options["only"]:
                continue
            task = app.tasks[str(entry["task"])]
            result = task.apply(args=entry.get("args", ()), kwargs=entry.get("kwargs", {}), throw=True)
            self.stdout.write(f"{name}: {result.result}")
