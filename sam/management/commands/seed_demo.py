from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sam.demo import DEMO_PASSWORD, demo_logins, seed_demo


class Command(BaseCommand):
    help = "Create the demo tenants and users (safe to run again)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the demo logins.")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("Refusing to load demo users with known passwords in production.")
        tenants = seed_demo()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {', '.join(t.name for t in tenants)}."))
        if not options["quiet_logins"]:
            self.stdout.write(f"Demo logins (development only), password for all: {DEMO_PASSWORD}")
            for email, tenant, role in demo_logins():
                self.stdout.write(f"  {email:<28} {role:<26} {tenant}")
