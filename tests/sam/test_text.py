"""One clean-up for typed text (sam/text.py), applied as every row is saved: pages, the API, CSV imports and
services store the same way."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from accounts import services as account_services
from accounts.models import ActionItem, Contact
from sam.roles import Role
from sam.services import token_create
from sam.text import clean_line, clean_long

RLO, LRI, ZWSP, ZWJ, BOM = "\u202e", "\u2066", "\u200b", "\u200d", "\ufeff"


def test_names_lose_invisible_and_direction_changing_characters_long_text_keeps_its_lines():
    assert clean_line(f"Acme{ZWSP} Corp{RLO}gpj.exe{BOM}") == "Acme Corpgpj.exe"
    assert clean_line("Two\nlines\tand a bell\x07\x00") == "Two lines and a bell"
    assert clean_long(f"First line\n\tSecond{RLO}{LRI} line\x1b[31m") == "First line\n\tSecond line[31m"
    assert clean_long(f"family emoji 👨{ZWJ}👩{ZWJ}👧") == f"family emoji 👨{ZWJ}👩{ZWJ}👧"  # joiners kept in text
    assert clean_line("Zoë Åström-Ng, 株式会社") == "Zoë Åström-Ng, 株式会社"


@pytest.mark.django_db
def test_every_way_in_stores_the_same_clean_text(tenant_a, account_a, client_for):
    with tenant_a.ctx():
        contact = account_services.contact_save(
            account=account_a, data={"name": f"Hank{ZWSP} Scorpio{RLO}", "title": "CEO\x07", "buyer_role": "economic"}
        )
        _, secret = token_create(membership=tenant_a.memberships[Role.ADMIN], name="t", expires_in_days=None)
    api = Client(HTTP_AUTHORIZATION=f"Token {secret}")
    made = api.post(
        "/api/v1/action-items/",
        json.dumps({"account": account_a.pk, "title": f"Call{LRI} back{ZWSP}", "detail": f"Line one\nLine{RLO} two"}),
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    admin = client_for(tenant_a.admin)
    upload = admin.post(
        "/t/alpha/import/contacts/", {"file": _csv(f"account,name\n{account_a.name},Imported{RLO} Person{BOM}\n")}
    )
    assert upload.status_code == 302, upload.content[:500]
    admin.post(upload["Location"])
    with tenant_a.ctx():
        contact.refresh_from_db()
        assert (contact.name, contact.title) == ("Hank Scorpio", "CEO")
        item = ActionItem.objects.get(pk=made.json()["id"])
        assert (item.title, item.detail) == ("Call back", "Line one\nLine two")
        assert Contact.objects.filter(name="Imported Person").exists()


def _csv(text: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("contacts.csv", text.encode(), content_type="text/csv")


@pytest.mark.django_db
def test_a_text_of_only_invisible_characters_is_refused_with_a_message_not_saved_empty(tenant_a, account_a):
    with tenant_a.ctx():
        _, secret = token_create(membership=tenant_a.memberships[Role.ADMIN], name="t", expires_in_days=None)
    api = Client(HTTP_AUTHORIZATION=f"Token {secret}")
    for title in ("\x02", f"{RLO}{ZWSP}", "\x07\x1b"):
        made = api.post(
            "/api/v1/action-items/",
            json.dumps({"account": account_a.pk, "title": title}),
            content_type="application/json",
        )
        assert made.status_code == 400 and "title" in made.json(), made.content
    with tenant_a.ctx():
        assert not ActionItem.objects.filter(account=account_a).exists()
