"""Reading many hosts at once: a bounded pool whose results come back in declaration order (issue 15 item 2).

Each host is read by one worker over its own (shared, per-run) transport; `parallelism` bounds how many hosts
are read at the same time (`--parallelism`, default 10 like Terraform). Results keep the order of the hosts
given, whatever finishes first, so the plan never depends on timing. An expected error (`TempoctlError`) of
one host takes that host's place in the results: the other hosts are still read, and `raise_first` raises
the first failure in declaration order with the others listed under it. Anything else is a bug and
propagates as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from tempoctl.errors import TempoctlError

DEFAULT_PARALLELISM = 10

T = TypeVar("T")
R = TypeVar("R")


def _call(fn: Callable[[T], R], item: T) -> R | TempoctlError:
    try:
        return fn(item)
    except TempoctlError as exc:
        return exc


def map_hosts(fn: Callable[[T], R], items: Sequence[T], parallelism: int) -> list[R | TempoctlError]:
    """`fn(item)` for every item, at most `parallelism` at a time, in the order of `items`."""
    if parallelism < 1:
        raise ValueError(f"parallelism must be at least 1, not {parallelism}")
    if parallelism == 1 or len(items) <= 1:
        return [_call(fn, item) for item in items]
    with ThreadPoolExecutor(max_workers=min(parallelism, len(items)), thread_name_prefix="tempoctl-host") as pool:
        futures = [pool.submit(_call, fn, item) for item in items]
        return [f.result() for f in futures]


def name_host(exc: TempoctlError, host: str) -> TempoctlError:
    """`exc` with its summary starting with the declared host's name (a transport knows only its address)."""
    prefix = f"host {host}: "
    if not exc.summary.startswith(prefix):
        exc.summary = prefix + exc.summary
        exc.args = (exc.summary,)
    return exc


def raise_first(errors: Sequence[TempoctlError]) -> None:
    """Raise the first of `errors` (declaration order); the others are listed in its detail, not lost."""
    if not errors:
        return
    first = errors[0]
    if len(errors) > 1:
        others = "\n".join(f"  {e.summary}" for e in errors[1:])
        first.detail = "\n".join(p for p in (first.detail, f"{len(errors) - 1} other host(s) failed too:\n{others}")
                                 if p)
    raise first
