from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from sam.models import Membership, Tenant, User
from sam.outbox import email_enqueue
from sam.roles import Role
from sam.services import password_setup_url
from sam.tenancy.context import tenant_context


class Command(BaseCommand):
    help = "Provision a tenant and its first admin (platform operators)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("slug")
        parser.add_argument("name")
        parser.add_argument("--admin-email", required=True)

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        if Tenant.objects.filter(slug=options["slug"]).exists():
            raise CommandError(f"A tenant with slug {options['slug']!r} exists already.")
        tenant = Tenant.objects.create(slug=options["slug"], name=options["name"])
        email = options["admin_email"].strip().lower()
        user = User.objects.filter(email=email).first() or User.objects.create_user(email=email, password=None)
        with tenant_context(tenant):
            Membership.objects.create(user=user, role=Role.ADMIN)
            link = password_setup_url(user, settings.SITE_URL) if not user.has_usable_password() else ""
            if link:
                email_enqueue(
                    key=f"tenant-created:{tenant.pk}",
                    to=[email],
                    subject=f"Your SAM workspace {tenant.name} is ready",
                    text=(
                        f"You are the first admin of {tenant.name}. "
                        f"Choose your password (the link works once):\n\n{link}\n"
                    ),
                )
        self.stdout.write(self.style.SUCCESS(f"Created {tenant.name} (/t/{tenant.slug}/) with admin {email}."))
        if link:
            self.stdout.write(f"They were emailed this one-time link to choose a password:\n  {link}")
