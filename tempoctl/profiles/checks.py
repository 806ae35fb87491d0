"""The host checks planner: every failing check is a drift item; checks never have an apply action
(a lagging indexer or a failing readiness probe is fixed by an operator, not by reconciling)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tempoctl.plan.model import DriftItem
from tempoctl.profiles.base import PlanContext, PlanItem

NO_ACTION = "check only, no apply action"


class ChecksPlanner:
    name = "checks"

    def plan(self, ctx: PlanContext) -> Iterable[PlanItem]:
        # Imported here: tempoctl.observed.observation imports this package (profiles.base) at load time.
        from tempoctl.observed.checks import http_address, lag_address

        values = ctx.observed.values
        for hname, host in ctx.env.state.hosts.items():
            if host.checks is None:
                continue
            lag = values.get(lag_address(hname))
            if host.checks.indexer_lag is not None and lag is not None:
                item = _lag_drift(lag_address(hname), lag)
                if item:
                    yield item
            for check in host.checks.http:
                seen = values.get(http_address(hname, check.url))
                if seen is not None:
                    item = _http_drift(http_address(hname, check.url), check.expect_status, check.expect_body, seen)
                    if item:
                        yield item


def _lag_drift(addr: str, lag: dict[str, Any]) -> DriftItem | None:
    expected = f"indexer within {lag['max_blocks']} blocks of the chain head"
    if "error" in lag:
        return DriftItem(addr, "check_failed", expected, lag["error"], f"{NO_ACTION}: the indexer lag could not be read")
    if lag["lag"] <= lag["max_blocks"]:
        return None
    return DriftItem(addr, "indexer_lag", expected,
                     f"{lag['lag']} blocks behind (head {lag['head']}, indexed {lag['last_indexed_block']})",
                     f"{NO_ACTION}: check the tempovault-indexer service and its RPC")


def _http_drift(addr: str, status: int, body: str | None, seen: dict[str, Any]) -> DriftItem | None:
    expected = f"HTTP {status}" + (f" with a body containing {body!r}" if body is not None else "")
    if "error" in seen:
        return DriftItem(addr, "check_failed", expected, seen["error"], f"{NO_ACTION}: the URL did not answer")
    if seen["status"] == status and seen.get("body_ok", True):
        return None
    actual = f"HTTP {seen['status']}" + ("" if seen.get("body_ok", True) else " without the expected body")
    return DriftItem(addr, "http_check", expected, actual, f"{NO_ACTION}: the service answers, but not as declared")
