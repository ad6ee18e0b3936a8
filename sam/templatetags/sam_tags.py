"""Template helpers shared by every page: icons, the tenant URL, the switcher."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from django import template
from django.conf import settings
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from sam.selectors import switcher_memberships
from sam.tenancy.urls import tenant_reverse

register = template.Library()

ICON_DIR = Path(settings.BASE_DIR) / "static" / "vendor" / "tabler-icons"


@cache
def _icon_svg(name: str) -> str:
    path = ICON_DIR / f"{name}.svg"
    if not path.is_file() or path.parent != ICON_DIR:
        raise template.TemplateSyntaxError(f"Unknown icon {name!r}: add it to scripts/vendor.sh.")
    svg = path.read_text()
    return svg.replace('class="icon icon-tabler', 'aria-hidden="true" focusable="false" class="icon icon-tabler', 1)


@register.simple_tag
def icon(name: str) -> SafeString:
    """An inline SVG icon (decorative: screen readers skip it)."""
    return mark_safe(_icon_svg(name))  # noqa: S308  (our own vendored files)


@register.simple_tag(takes_context=True)
def turl(context: dict[str, Any], name: str, *args: Any) -> str:
    """``{% url %}`` for a page inside the current tenant: the request's, or the ``tenant`` a report renders for
    (a PDF is made by a worker, without a request)."""
    request = context.get("request")
    return tenant_reverse(name, *args, tenant=getattr(request, "tenant", None) or context.get("tenant"))


@register.simple_tag(takes_context=True)
def user_memberships(context: dict[str, Any]) -> dict[str, Any]:
    """The workspaces of the top bar's menu: a few (the current one among them) and how many there are in all."""
    request = context["request"]
    if not request.user.is_authenticated:
        return {"shown": [], "total": 0}
    tenant = getattr(request, "tenant", None)
    shown, total = switcher_memberships(request.user, tenant.pk if tenant is not None else None)
    return {"shown": shown, "total": total}


@register.simple_tag
def nav_link(entry: Any, tenant: Any, active_key: str | None) -> SafeString:
    classes = "nav-link" + (" active" if entry.key == active_key else "")
    if entry.url_name is None:
        return format_html(
            '<span class="nav-link disabled" aria-disabled="true" title="Not available yet">'
            '<span class="nav-link-icon">{}</span><span class="nav-link-title">{}</span></span>',
            icon(entry.icon),
            entry.label,
        )
    current = ' aria-current="page"' if entry.key == active_key else ""
    return format_html(
        '<a class="{}" href="{}"{}><span class="nav-link-icon">{}</span><span class="nav-link-title">{}</span></a>',
        classes,
        tenant_reverse(entry.url_name, tenant=tenant),
        mark_safe(current),  # noqa: S308
        icon(entry.icon),
        entry.label,
    )


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    """``mapping|get_item:key`` for keys that are not identifiers."""
    return mapping.get(key, "")


@register.simple_tag(takes_context=True)
def source_link(context: dict[str, Any], item: Any) -> SafeString:
    """An action item's source, linked to its object when the source app knows where it is."""
    label = item.source_label()
    url = item.source_url(context["request"].tenant.slug)
    return format_html('<a href="{}">{}</a>', url, label) if url else format_html("{}", label)


@register.simple_tag(takes_context=True)
def history_url(context: dict[str, Any], obj: Any) -> str:
    """Where this row's whole recorded history shows: its account's History tab for a row of an account, else the
    workspace's page of changes for those who may see it; "" when neither."""
    from sam import history
    from sam.permissions import can

    if obj is None or getattr(obj, "pk", None) is None or not getattr(type(obj), "track_changes", False):
        return ""
    request = context["request"]
    query = f"kind={history.kind_of(type(obj))}&row={obj.pk}"
    account_id = history.account_of(obj)
    if account_id is not None:
        return tenant_reverse("account_detail", account_id, tenant=request.tenant) + "?tab=history&" + query
    if can(request, "tenant.view_audit"):
        return tenant_reverse("audit", tenant=request.tenant) + "?" + query
    return ""
