"""Every API list endpoint, up to 50 rows a page of the demo workspace, against the bare DRF list of 50 rows.

The demo has fewer than 50 rows in most lists, so most pages here are lighter than the baseline's; the work per
request that does not depend on rows (session, tenant entry, permission, the query's round trip) is what they
measure. Signed in with the browser's session, in the workspace the user last opened.
"""

from __future__ import annotations

from bench.run import GOAL_THROUGHPUT, SCENARIOS, Scenario

BARE = "bare DRF list, 50 rows"


def list_endpoints() -> list[str]:
    from sam.api.urls import router

    return [prefix for prefix, viewset, _ in router.registry if hasattr(viewset, "list")]


for prefix in list_endpoints():
    name = f"API list {prefix}"
    SCENARIOS.append(Scenario(name, f"/api/v1/{prefix}/?page_size=50", baselines=(BARE,), needs_login=True))
    GOAL_THROUGHPUT[name] = (BARE, 0.5)
GOAL_THROUGHPUT["API members list"] = (BARE, 0.5)
