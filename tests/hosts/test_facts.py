"""Host facts are one command plus pure parsers: tested here on recorded output (systemd's real formats)."""

from __future__ import annotations

import pytest

from tempoctl.observed.host.facts import (
    count_instances,
    parse_env,
    parse_read,
    parse_show,
    update_env,
)

# `systemctl show -p LoadState,ActiveState,SubState,UnitFileState,MainPID,ExecStart a b c` on Debian 12
# (systemd 252): service properties first, blank line between units, an unknown unit is not-found.
SHOW = """MainPID=812
ExecStart={ path=/usr/bin/python3 ; argv[]=/usr/bin/python3 api_server.py --port 3000 ; ignore_errors=no ; start_time=[Mon 2026-11-23 10:00:01 UTC] ; stop_time=[n/a] ; pid=812 ; code=(null) ; status=0/0 }
LoadState=loaded
ActiveState=active
SubState=running
UnitFileState=enabled

MainPID=0
ExecStart={ path=/usr/bin/python3 ; argv[]=/usr/bin/python3 event_indexer.py ; ignore_errors=no ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }
LoadState=loaded
ActiveState=failed
SubState=failed
UnitFileState=disabled

MainPID=0
LoadState=not-found
ActiveState=inactive
SubState=dead
UnitFileState=
"""


def test_systemctl_show_blocks_in_unit_order() -> None:
    api, indexer, missing = parse_show(SHOW)
    assert (api.state, api.enabled, api.main_pid, api.argv) == (
        "running", True, 812, "/usr/bin/python3 api_server.py --port 3000")
    assert (indexer.state, indexer.enabled) == ("failed", False)
    assert (missing.state, missing.enabled) == ("missing", None)


def test_static_units_have_no_enabled_state_and_activating_counts_as_starting() -> None:
    (u,) = parse_show("ActiveState=activating\nSubState=start\nUnitFileState=static\nLoadState=loaded\nMainPID=5\n")
    assert (u.state, u.enabled) == ("starting", None)


def test_single_instance_counts_exact_command_lines() -> None:
    ps = ["/usr/bin/python3 event_indexer.py", "/usr/bin/python3 event_indexer.py",
          "/usr/bin/python3 event_indexer.py --dry-run", "vim event_indexer.py"]
    assert count_instances(ps, "/usr/bin/python3 event_indexer.py") == 2
    assert count_instances(ps, "") == 0


def section(kind: str, index: int, payload: bytes, status: int = 0) -> bytes:
    """One section as `read_script` frames it: a header with the byte count, the bytes, a newline."""
    return f"{kind} {index} {status} {len(payload)}\n".encode() + payload + b"\n"


def show_block(name: str, **props: str) -> bytes:
    base = {"Id": name, "Names": name, "LoadState": "loaded", "ActiveState": "active", "SubState": "running",
            "UnitFileState": "enabled", "MainPID": "812", "Type": "simple", "NRestarts": "0", "Result": "success"}
    base.update(props)
    return "".join(f"{k}={v}\n" for k, v in base.items()).encode()


def test_read_script_output_is_split_into_units_processes_and_files() -> None:
    content = b"# comment\nA=1\n"
    blocks = SHOW.split("\n\n")
    out = (section("unit", 0, b"Id=api.service\n" + blocks[0].encode())
           + section("unit", 1, b"Id=indexer.service\n" + blocks[1].encode())
           + section("unit", 2, b"Id=nope.service\n" + blocks[2].encode())
           + section("processes", 0, b"/usr/bin/python3 api_server.py --port 3000\n")
           + section("stat", 0, b"tempovault:tempovault 640\n") + section("file", 0, content)
           + section("absent", 1, b""))
    facts = parse_read(out, ["api", "indexer", "nope"], ["/etc/a.env", "/etc/b.env"])
    assert facts.units["api"].state == "running" and facts.units["nope"].state == "missing"
    assert facts.units["indexer"].state == "failed"
    assert facts.processes == ["/usr/bin/python3 api_server.py --port 3000"]
    assert facts.files["/etc/a.env"].content == content
    assert (facts.files["/etc/a.env"].owner, facts.files["/etc/a.env"].mode) == ("tempovault:tempovault", "0640")
    assert facts.files["/etc/b.env"].content is None


def test_env_file_update_keeps_comments_order_and_other_lines() -> None:
    before = ("# TempoVault API\nexport RPC_URL=https://rpc.example\nPOLL_INTERVAL=5\n\n"
              "# origins, comma separated\nALLOWED_ORIGINS=\"https://old\"\nPOLL_INTERVAL=9\n")
    after = update_env(before, {"POLL_INTERVAL": "2", "ALLOWED_ORIGINS": "https://app.tempovault.xyz",
                                "NEW_KEY": "a value with spaces"})
    assert after == ("# TempoVault API\nexport RPC_URL=https://rpc.example\nPOLL_INTERVAL=2\n\n"
                     "# origins, comma separated\nALLOWED_ORIGINS=https://app.tempovault.xyz\n"
                     "NEW_KEY='a value with spaces'\n")
    assert parse_env(after) == {"RPC_URL": "https://rpc.example", "POLL_INTERVAL": "2",
                                "ALLOWED_ORIGINS": "https://app.tempovault.xyz", "NEW_KEY": "a value with spaces"}
    # A second pass changes nothing.
    assert update_env(after, parse_env(after)) == after


def test_env_values_outside_the_shared_character_set_are_never_written() -> None:
    for value in ['say "hi"', "a\\b", "$HOME", "`id`", "it's", "a\nB=1", "caf\u00e9"]:
        with pytest.raises(ValueError):
            update_env("", {"K": value})
    with pytest.raises(ValueError):
        update_env("", {"B=1\nPATH": "x"})
