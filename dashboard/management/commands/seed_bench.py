"""``manage.py seed_bench --tenants N``: large synthetic tenants for benchmarks (see dashboard.benchdata)."""

from __future__ import annotations

import os
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dashboard import benchdata
from sam.models import User


class Command(BaseCommand):
    help = (
        "Make the benchmark tenants <prefix>-000 to <prefix>-<N-1>, each a whole program of 100 accounts with "
        "scorecards, surveys, incidents, renewals and revenue (tenants that exist are kept)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenants", type=int, required=True, help="How many tenants there should be.")
        parser.add_argument("--prefix", default="bench", help="Tenant slugs are <prefix>-000, <prefix>-001...")
        parser.add_argument("--user", default="", help="The email of an existing user to make an admin of each.")
        parser.add_argument(
            "--jobs",
            type=int,
            default=min(4, os.cpu_count() or 1),
            help="Tenants made at once, by a process each (default: the CPUs, up to 4).",
        )
        parser.add_argument(
            "--no-vacuum",
            action="store_true",
            help="Leave VACUUM ANALYZE of the tables (as the owner role) to autovacuum.",
        )
        parser.add_argument("--trim", action="store_true", help="Also delete the prefix's tenants numbered N and up.")
        sizes = benchdata.Sizes()
        parser.add_argument("--accounts", type=int, default=sizes.accounts, help="Accounts per tenant.")
        parser.add_argument("--periods", type=int, default=sizes.periods, help="Scorecard periods (quarters).")
        parser.add_argument(
            "--metrics", type=int, default=sizes.metrics, help="Scorecard metrics (the template's own, then extras)."
        )
        parser.add_argument("--responses", type=int, default=sizes.responses, help="Survey answers per tenant.")
        parser.add_argument("--incidents", type=int, default=sizes.incidents, help="Incidents per tenant.")

    def handle(self, *args: Any, **options: Any) -> None:
        count, prefix = options["tenants"], options["prefix"]
        if count < 0 or count > 1000:
            raise CommandError("--tenants takes 0 to 1000.")
        if not prefix or not prefix.replace("-", "").isalnum() or prefix != prefix.lower():
            raise CommandError("--prefix takes lower-case letters, digits and dashes.")
        if min(options["accounts"], options["periods"], options["metrics"]) < 1:
            raise CommandError("--accounts, --periods and --metrics take 1 or more.")
        user = None
        if options["user"]:
            user = User.objects.filter(email=options["user"].strip().lower()).first()
            if user is None:
                raise CommandError(f"No user with the email {options['user']!r}.")
        sizes = benchdata.Sizes(
            accounts=options["accounts"],
            periods=options["periods"],
            metrics=options["metrics"],
            responses=max(0, options["responses"]),
            incidents=max(0, options["incidents"]),
        )
        started = time.monotonic()
        if options["trim"]:
            extra = [t for t in benchdata.numbered(prefix) if int(t.slug.rsplit("-", 1)[1]) >= count]
            benchdata.drop_tenants(extra, say=self.stdout.write)
        benchdata.seed_tenants(
            count, prefix=prefix, user=user, sizes=sizes, jobs=max(1, options["jobs"]), say=self.stdout.write
        )
        if not options["no_vacuum"]:
            if benchdata.vacuum_analyze():
                self.stdout.write("Tables vacuumed and analyzed.")
            else:
                self.stdout.write("No owner role configured: the planner sees the new rows once autovacuum has run.")
        self.stdout.write(self.style.SUCCESS(f"Done in {time.monotonic() - started:.1f} s."))
