from typing import Any

from django.core.management.base import BaseCommand

from accounts.events import timeline_backfill
from sam.tasks_base import for_each_tenant


class Command(BaseCommand):
    help = (
        "Put the events from before the timeline (QBRs held, minutes sent, survey answers, scorecards closed, "
        "assessments shared, recurring issues, renewal outcomes) on every account's timeline. Safe to run again: "
        "each event appears once."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        added = for_each_tenant(lambda tenant: (tenant.slug, timeline_backfill()))
        for slug, count in added:
            self.stdout.write(f"{slug}: {count} events added")
