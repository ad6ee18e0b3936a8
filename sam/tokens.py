"""Tokens that enter a tenant from outside (emailed links, portal sessions): ``<tenant id>.<secret>``.

The tenant part lets a request enter the right tenant before anything is looked up (a wrong tenant simply finds
nothing); only the SHA-256 of a whole token is stored. A link's secret can be the HMAC, under the server's secret
key, of its purpose, tenant and a stored random salt, so the link can be made again as its email leaves and no
token rests in the database.
"""

from __future__ import annotations

import base64
import hashlib

from django.utils.crypto import salted_hmac

from sam.numbers import whole


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def salted_token(purpose: str, tenant_id: int, salt: str) -> str:
    mac = salted_hmac(purpose, f"{tenant_id}:{salt}", algorithm="sha256").digest()
    return f"{tenant_id}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def tenant_of_token(token: str) -> int | None:
    """The tenant part of a token (None when it is not one of ours in form)."""
    head, _, secret = (token or "").partition(".")
    if whole(head) is None or len(secret) < 32 or len(token) > 200:
        return None
    return whole(head)
