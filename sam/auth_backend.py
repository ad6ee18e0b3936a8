"""Authentication backend whose per-request user lookup is served from the cache.

Every signed-in request loads its user; the row rarely changes. The cached
copy is dropped whenever the user is saved or deleted (password, active
flag, name) and expires after a few minutes regardless.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache

from sam.models import User

USER_CACHE_SECONDS = 300


def user_cache_key(user_id: Any) -> str:
    return f"auth:user:{user_id}"


def forget_user(user_id: Any) -> None:
    cache.delete(user_cache_key(user_id))


class CachedModelBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        key = user_cache_key(user_id)
        user = cache.get(key)
        if user is None:
            user = User.objects.filter(pk=user_id).first()
            if user is None:
                return None
            cache.set(key, user, USER_CACHE_SECONDS)
        return user if self.user_can_authenticate(user) else None


def user_changed(sender: type, instance: User, **kwargs: Any) -> None:
    forget_user(instance.pk)
