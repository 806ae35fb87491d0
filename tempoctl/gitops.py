"""GitOps bookkeeping that must hold even when the workflow around it is old or wrong (DESIGN §8).

Two questions are answered here, in tempoctl itself rather than in a CI script, because a re-run of an old
workflow run executes that old commit's scripts but still meets the backend, which outlives every job:

- **Which environments need an apply?** Those whose state folder at the commit differs from the folder
  applied last (kept per environment in the backend table `gitops_applied`). Comparing against the last
  *applied* tree instead of the pushed diff (`before..sha`) means a merge whose run was cancelled or failed
  is picked up by the next run. First run (nothing recorded yet): the environment needs an apply.
- **May this checkout be applied?** Only if its environment folder equals the folder at the tip of main
  (`--gitops-main REF`, a freshly fetched `origin/main`) *and* it is not older than the commit recorded as
  applied. The second check needs no fetch: the backend refuses a replay even if a workflow forgot the first.

Folders are compared by git tree hash (`git rev-parse COMMIT:state/env`), so any change to any file counts
and unrelated commits to other environments do not.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tempoctl.errors import ConfigError, TempoctlError

if TYPE_CHECKING:
    from tempoctl.apply.session import ApplySession
    from tempoctl.backend import Backend

# Apply outcomes after which the commit counts as applied (hand-offs are tracked as pending by the backend).
APPLIED_OUTCOMES = ("ok", "ok, some pending", "nothing to do")


class ReplayRefused(TempoctlError):
    """The checkout is not what main says the environment should be now: nothing is sent."""


@dataclass(frozen=True)
class Checkout:
    """Where an environment folder sits in git: the repository root, its path there, the commit checked out
    and the folder's tree hash at that commit."""

    top: Path
    rel: str
    commit: str
    tree: str


def _git(top: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(top), *args], capture_output=True, text=True, timeout=30, check=False)


def locate(folder: Path, commit: str = "HEAD") -> Checkout:
    """The git facts of `folder` at `commit`; refuses outside a git checkout (GitOps needs one)."""
    top_run = _git(folder, "rev-parse", "--show-toplevel")
    if top_run.returncode != 0:
        raise ConfigError(f"{folder} is not in a git checkout", hint="GitOps checks compare git commits of main.")
    top = Path(top_run.stdout.strip())
    rel = folder.resolve().relative_to(top.resolve()).as_posix()
    sha = _git(top, "rev-parse", "--verify", f"{commit}^{{commit}}")
    if sha.returncode != 0:
        raise ConfigError(f"git cannot resolve {commit!r}", detail=sha.stderr.strip())
    resolved = sha.stdout.strip()
    tree = folder_tree(top, rel, resolved)
    if tree is None:
        raise ConfigError(f"{rel} does not exist at commit {resolved[:12]}")
    return Checkout(top, rel, resolved, tree)


def folder_tree(top: Path, rel: str, ref: str) -> str | None:
    """The tree hash of `rel` at `ref`, or None when the folder (or the ref) does not exist."""
    out = _git(top, "rev-parse", "--verify", "--quiet", f"{ref}:{rel}")
    return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else None


def is_ancestor(top: Path, older: str, newer: str) -> bool | None:
    """True if `older` is an ancestor of (or equal to) `newer`; None when git does not know either commit."""
    out = _git(top, "merge-base", "--is-ancestor", older, newer)
    return {0: True, 1: False}.get(out.returncode)


def require_shared(backend: Backend, environ: Mapping[str, str] | None = None) -> None:
    """In a CI job (`GITHUB_ACTIONS=true`), refuse a SQLite backend: its file dies with the job, and with it
    the record of the last applied commit that replay and missed-merge protection rest on."""
    env = os.environ if environ is None else environ
    if backend.dialect == "sqlite" and env.get("GITHUB_ACTIONS") == "true":
        raise ConfigError("GitOps needs the shared PostgreSQL backend; this environment uses SQLite in a CI job",
                          detail="A SQLite file in a job does not outlive it: the applied commit would be forgotten.",
                          hint="Set TEMPOCTL_BACKEND (postgresql://…) in the GitHub environment's TEMPOCTL_SECRETS "
                               "(README \"GitOps\").")


def needs_apply(backend: Backend, environment: str, here: Checkout) -> tuple[bool, str]:
    """Whether `environment` at `here` differs from what was last applied, and why (for the job log)."""
    last = backend.gitops_applied(environment)
    if last is None:
        return True, "no applied commit recorded yet (first GitOps run): planned in full"
    if last["folder_tree"] == here.tree:
        return False, f"unchanged since the applied commit {last['git_commit'][:12]}"
    return True, f"changed since the applied commit {last['git_commit'][:12]}"


def check(backend: Backend, environment: str, here: Checkout, main_ref: str) -> None:
    """Refuse (ReplayRefused) unless `here` may be applied: its folder equals the one at `main_ref`, and it
    is not an older commit than the one recorded as applied with a different folder."""
    tip = _git(here.top, "rev-parse", "--verify", f"{main_ref}^{{commit}}")
    if tip.returncode != 0:
        raise ReplayRefused(f"cannot resolve {main_ref!r}; nothing is sent",
                            hint="Fetch main first (actions/checkout with fetch-depth: 0 fetches origin/main).")
    tip_sha = tip.stdout.strip()
    tip_tree = folder_tree(here.top, here.rel, tip_sha)
    if tip_tree != here.tree:
        what = "removed" if tip_tree is None else "changed"
        raise ReplayRefused(
            f"{environment}: commit {here.commit[:12]} is not what main says now; nothing is sent",
            detail=f"{here.rel} was {what} on main after this commit (main is at {tip_sha[:12]}). "
                   "This looks like a re-run of an old workflow run.",
            hint="The workflow run of main's newer commit plans and applies it; re-running old runs never applies.")
    last = backend.gitops_applied(environment)
    if last is None or last["git_commit"] == here.commit or last["folder_tree"] == here.tree:
        return
    if is_ancestor(here.top, here.commit, last["git_commit"]):
        raise ReplayRefused(
            f"{environment}: commit {here.commit[:12]} is older than the applied commit "
            f"{last['git_commit'][:12]}; nothing is sent",
            detail="The backend records the last commit applied per environment; an older state never replaces it.")


def record(backend: Backend, environment: str, here: Checkout, apply_id: str) -> None:
    """Record `here` as applied, unless a newer commit is already recorded (never move the record back)."""
    last = backend.gitops_applied(environment)
    if last is not None and last["git_commit"] != here.commit and is_ancestor(here.top, here.commit, last["git_commit"]):
        return
    backend.gitops_record(environment, here.commit, here.tree, apply_id)


@contextmanager
def main_tip_guard(session: ApplySession, main_ref: str | None) -> Iterator[None]:
    """`apply --gitops-main REF`: check under the environment's lock before anything is settled or sent, and
    record the commit as applied when the apply ended well. Without REF (an operator's apply) it does nothing."""
    if not main_ref:
        yield
        return
    assert session.backend is not None
    require_shared(session.backend)
    here = locate(session.env.root)
    check(session.backend, session.env.name, here, main_ref)
    session.echo(f"GitOps: {here.rel} at {here.commit[:12]} equals main ({main_ref}); applying it.")
    yield
    if session.outcome in APPLIED_OUTCOMES:
        record(session.backend, session.env.name, here, session.apply_id)
        session.echo(f"GitOps: recorded {here.commit[:12]} as the applied commit of {session.env.name}.")
