"""systemd units as systemd itself names and reports them: unit-name grammar and every state value mapped.

Why a table and not "anything else is stopped": a masked unit read as "stopped" gets a start planned that can
only fail; `enabled-runtime` read as enabled is gone after a reboot; a crash-looping unit read as "starting"
hides the loop. Every value below comes from systemd's own string tables, so an unknown one means a systemd
newer than this table (or a forged reply) and is an error, never a guess:

- load states: src/basic/unit-def.c, `unit_load_state_table`;
- active states: src/basic/unit-def.c, `unit_active_state_table` (`refreshing` since v257);
- sub states per unit type: src/basic/unit-def.c, `service_state_table`, `socket_state_table`, … (the
  union over systemd releases: older names are never reused for something else);
- unit-file states: src/shared/install.c, `unit_file_state_table` (`alias` since v250, `generated` and
  `transient` since v232);
- unit names: tempoctl.desired.unitnames (src/basic/unit-name.c).
"""

from __future__ import annotations

from tempoctl.desired.unitnames import unit_name, unit_type
from tempoctl.errors import TempoctlError

__all__ = ["UnitStateError", "check_values", "unit_name", "unit_type"]

LOAD_STATES = frozenset({"stub", "loaded", "not-found", "bad-setting", "error", "merged", "masked"})
ACTIVE_STATES = frozenset({"active", "reloading", "inactive", "failed", "activating", "deactivating",
                           "maintenance", "refreshing"})
UNIT_FILE_STATES = frozenset({"enabled", "enabled-runtime", "linked", "linked-runtime", "alias", "masked",
                              "masked-runtime", "static", "disabled", "indirect", "generated", "transient", "bad",
                              ""})  # "" = no unit file (not-found units, devices…)

SUB_STATES: dict[str, frozenset[str]] = {
    "service": frozenset({
        "dead", "condition", "start-pre", "start", "start-post", "running", "exited", "refresh-extensions",
        "refresh-credentials", "reload", "reload-signal", "reload-notify", "reload-post", "mounting", "stop", "stop-watchdog", "stop-sigterm", "stop-sigkill",
        "stop-post", "final-watchdog", "final-sigterm", "final-sigkill", "failed", "dead-before-auto-restart",
        "failed-before-auto-restart", "dead-resources-pinned", "auto-restart", "auto-restart-queued", "cleaning"}),
    "socket": frozenset({
        "dead", "start-pre", "start-open", "start-chown", "start-post", "listening", "deferred", "running", "stop-pre",
        "stop-pre-sigterm", "stop-pre-sigkill", "stop-post", "final-sigterm", "final-sigkill", "failed",
        "cleaning"}),
    "target": frozenset({"dead", "active"}),
    "device": frozenset({"dead", "tentative", "plugged"}),
    "mount": frozenset({
        "dead", "mounting", "mounting-done", "mounted", "remounting", "unmounting", "remounting-sigterm",
        "remounting-sigkill", "unmounting-sigterm", "unmounting-sigkill", "failed", "cleaning"}),
    "automount": frozenset({"dead", "waiting", "running", "failed"}),
    "swap": frozenset({
        "dead", "activating", "activating-done", "active", "deactivating", "deactivating-sigterm",
        "deactivating-sigkill", "failed", "cleaning"}),
    "timer": frozenset({"dead", "waiting", "running", "elapsed", "failed"}),
    "path": frozenset({"dead", "waiting", "running", "failed"}),
    "slice": frozenset({"dead", "active"}),
    "scope": frozenset({"dead", "start-chown", "running", "abandoned", "stop-sigterm", "stop-sigkill", "failed"}),
}

# Sub-states in which systemd is about to start the unit again on its own (Restart=): a crash loop, not "up".
AUTO_RESTART_SUBS = frozenset({"auto-restart", "auto-restart-queued", "dead-before-auto-restart",
                               "failed-before-auto-restart"})


class UnitStateError(TempoctlError):
    """systemd reported a value that is not in its own documented tables: refuse to guess."""


def check_values(load: str, active: str, sub: str, unit_file: str, name: str) -> None:
    """Raise UnitStateError when a reported value is not one systemd documents (see the module docstring)."""
    kind = unit_type(name) or "service"
    for what, value, known in (("LoadState", load, LOAD_STATES), ("ActiveState", active, ACTIVE_STATES),
                               ("SubState", sub, SUB_STATES.get(kind, frozenset())),
                               ("UnitFileState", unit_file, UNIT_FILE_STATES)):
        if value not in known:
            raise UnitStateError(
                f"unit {name}: systemd reported {what}={value or '(empty)'}, which tempoctl does not know",
                hint="tempoctl maps every state systemd documents and refuses to guess at others; "
                     "a newer systemd may need a newer tempoctl.")
