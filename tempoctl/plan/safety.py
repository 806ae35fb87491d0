"""Safety rules of DESIGN §8 checked on a computed plan, before anything is shown as applicable.

Each rule belongs to the profile whose state it protects and runs through its `check_plan` hook over the whole
plan (never leaving an admin role without holders is `access-control`'s:
tempoctl/profiles/access_control/ordering.py). `--allow-lockout` skips them.
"""

from __future__ import annotations

from tempoctl.observed.observation import ObservedValues
from tempoctl.plan.model import Change
from tempoctl.profiles.catalog import folder_profiles


def check_lockout(changes: list[Change], observed: ObservedValues) -> None:
    """Raise `SafetyError` when any profile's safety rule refuses the plan."""
    for profile in folder_profiles():
        profile.check_plan(changes, observed)
