"""Renderers: golden files for text/json/markdown, secret masking, the Markdown size cap.

Goldens live in tests/golden/render/; rewrite them with `UPDATE_GOLDENS=1 pytest tests/test_render.py` and
review the text diff like any other change.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from tempoctl.errors import ConfigError
from tempoctl.plan.model import Action, Change, Plan, Simulation, Step
from tempoctl.plan.render import render, render_json, render_markdown, render_text
from tempoctl.plan.render.text import headline_verb
from tempoctl.plan.render.values import mask, scrub, short_address, summary_sentence
from tests import render_plans as rp

GOLDEN = Path(__file__).parent / "golden" / "render"
UPDATE = os.environ.get("UPDATE_GOLDENS") == "1"
SECRETS = [rp.SECRET_TOKEN, "tok_old_value_123456", rp.SECRET_KEY, rp.SECRET_SEED, "ab" * 32]
ANSI = re.compile(r"\x1b\[")


def check_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"missing golden {path}; run with UPDATE_GOLDENS=1"
    assert actual == path.read_text(encoding="utf-8"), f"{name} differs from its golden (UPDATE_GOLDENS=1)"


def doc(name: str) -> dict[str, Any]:
    return rp.PLANS[name]().to_dict()


@pytest.mark.parametrize("name", sorted(rp.PLANS))
def test_golden_text(name: str) -> None:
    check_golden(f"{name}.txt", render_text(doc(name)))


@pytest.mark.parametrize("name", sorted(rp.PLANS))
def test_golden_json(name: str) -> None:
    check_golden(f"{name}.json", render_json(doc(name)))


@pytest.mark.parametrize("name", sorted(rp.PLANS))
def test_golden_markdown(name: str) -> None:
    check_golden(f"{name}.md", render_markdown(doc(name), planfile="plans/tempo-testnet.plan.json"))


def test_golden_verbose_text() -> None:
    check_golden("risk.verbose.txt", render_text(doc("risk"), verbose=True))


def test_design_sample_lines() -> None:
    """The three lines of DESIGN §5's sample, character for character."""
    text = render_text(doc("roles"))
    assert text.startswith("tempoctl will perform the following actions:\n\n")
    assert "  # governance.role.ORACLE[0xD7c3…6497] will be granted\n" in text
    assert ("  + grantRole(ORACLE, 0xD7c37217De9DE47A8DAe64e220446873d8556497)   signer: admin (Safe)"
            "   simulated: ok, 74,120 gas\n") in text
    assert ("  ~ broken: false -> true   triggerCircuitBreaker(0x…0001)   signer: risk_officer"
            "   simulated: ok\n") in text
    assert "  # governance.role.ORACLE[0xd902…44ee] will be revoked (not declared)\n" in text
    assert "Plan: 1 to add, 1 to change, 1 to destroy.\n" in text
    assert "Observed: tempo: chain 42431 at block 123\n" in text


@pytest.mark.parametrize("name", sorted(rp.PLANS))
@pytest.mark.parametrize("variant", ["text", "verbose", "color", "json", "markdown"])
def test_no_secret_in_any_rendering(name: str, variant: str) -> None:
    d = doc(name)
    out = {
        "text": lambda: render_text(d),
        "verbose": lambda: render_text(d, verbose=True),
        "color": lambda: render_text(d, color=True, verbose=True),
        "json": lambda: render_json(d),
        "markdown": lambda: render_markdown(d),
    }[variant]()
    for secret in SECRETS:
        assert secret not in out


def test_sensitive_change_shows_only_that_it_changed() -> None:
    """DESIGN §5: no hash of either side (a hash lets anyone holding the plan confirm a guessed secret)."""
    text = render_text(doc("risk"))
    line = next(ln for ln in text.splitlines() if "API_TOKEN" in ln)
    assert "API_TOKEN: (sensitive) changed" in line and "sha256" not in line
    assert "LOG_LEVEL" not in text  # unchanged field of a sensitive map stays hidden
    for rendered in (render_text(doc("risk"), verbose=True), render_json(doc("risk")), render_markdown(doc("risk"))):
        assert "(sensitive, sha256:" not in rendered
        assert "(sensitive) unchanged" in render_json(doc("risk"))


def test_mask_has_nothing_derived_from_the_value() -> None:
    assert mask("a") == mask("b") == "(sensitive)"


def test_render_from_saved_json_is_identical() -> None:
    """`tempoctl show` of a `--format json` output must print exactly what `plan` printed."""
    for name in rp.PLANS:
        d = doc(name)
        reread = json.loads(render_json(d))
        assert render_text(reread) == render_text(d)
        assert render_markdown(reread) == render_markdown(d)
        assert render_json(reread) == render_json(d)  # stable: a second pass changes nothing


def test_json_is_the_document() -> None:
    d = doc("roles")
    assert json.loads(render_json(d)) == d
    assert render_json(d).endswith("}\n")
    assert list(json.loads(render_json(d)))[:3] == ["format_version", "tool", "environment"]


def test_color_only_when_asked() -> None:
    d = doc("roles")
    assert not ANSI.search(render_text(d))
    colored = render_text(d, color=True)
    assert "\x1b[32m+\x1b[0m grantRole" in colored
    assert "\x1b[31m-\x1b[0m revokeRole" in colored
    assert ANSI.sub("", re.sub(r"\x1b\[[0-9;]*m", "", colored)) == render_text(d)


def test_revert_warning_and_no_changes() -> None:
    assert render_text(doc("risk")).rstrip().endswith("Warning: 1 step(s) would revert; apply will refuse them.")
    text = render_text(doc("drift_only"))
    assert text.startswith("No changes. Live state matches the desired state.\n")
    assert "Drift not corrected by this plan:" in text
    assert "Plan:" not in text


@pytest.mark.parametrize(
    ("address", "action", "verb"),
    [
        ("governance.role.ORACLE[0xD7c37217De9DE47A8DAe64e220446873d8556497]", "create", "will be granted"),
        ("governance.role.ORACLE[0xD7c37217De9DE47A8DAe64e220446873d8556497]", "delete", "will be revoked"),
        ("governance.role_admin.ORACLE", "update", "will be updated in-place"),
        ("vault.approved_token[0xD7c37217De9DE47A8DAe64e220446873d8556497]", "create", "will be created"),
        ("vault.approved_token[0xD7c37217De9DE47A8DAe64e220446873d8556497]", "delete", "will be destroyed"),
        ("vision_records.contract_id", "replace", "will be replaced"),
    ],
)
def test_headline_verbs(address: str, action: str, verb: str) -> None:
    assert headline_verb(address, action) == verb


def test_short_addresses() -> None:
    assert short_address(f"governance.role.ORACLE[{rp.ORACLE_NEW}]") == "governance.role.ORACLE[0xD7c3…6497]"
    assert short_address(f"vision_records.whitelist[{rp.STELLAR_ACCOUNT}]") == "vision_records.whitelist[GB4H…E2YL]"
    assert short_address("risk.circuit_breaker[legacy-pair]") == "risk.circuit_breaker[legacy-pair]"
    assert short_address("vault-1.env_file[/etc/x.env]") == "vault-1.env_file[/etc/x.env]"


def test_replace_counts_as_add_and_destroy() -> None:
    changes = [{"action": "replace"}, {"action": "create"}, {"action": "delete"}, {"action": "update"}]
    assert summary_sentence(changes) == "Plan: 2 to add, 1 to change, 2 to destroy."


def test_key_masking_is_targeted() -> None:
    """32-byte hex is masked under key-like names only (role ids and tx hashes must stay readable)."""
    v = scrub({"private_key": rp.SECRET_KEY, "args": [rp.ORACLE_ROLE], "signing_key": "ab" * 32,
               "note": f"seed {rp.SECRET_SEED}", "password": "hunter22"})
    assert v["private_key"] == "(sensitive)"
    assert v["signing_key"] == "(sensitive)"
    assert v["args"] == [rp.ORACLE_ROLE]
    assert rp.SECRET_SEED not in v["note"]
    assert v["password"] == mask("hunter22")
    assert mask(mask("x")) == mask("x")


def test_unknown_format_lists_supported() -> None:
    with pytest.raises(ConfigError) as e:
        render(doc("roles"), "yaml")
    assert "text, json, markdown" in e.value.hint


def _big_plan(n: int) -> Plan:
    changes = [
        Change(
            address=f"governance.role.ORACLE[0x{i:040x}]", action=Action.CREATE, before=False, after=True,
            reason=f"state/tempo-testnet/roles.yaml:{i + 1}:7",
            steps=[Step(kind="evm_transaction", display=f"grantRole(ORACLE, 0x{i:040x})", signer="admin",
                        simulation=Simulation(status="ok", gas=51000 + i))],
        )
        for i in range(n)
    ]
    return Plan(environment="tempo-testnet", created_at="2026-11-23T12:00:00Z", tool_version="0.1.0",
                observed=rp.TEMPO, changes=changes)


def test_markdown_cap_with_5000_changes() -> None:
    d = _big_plan(5000).to_dict()
    md = render_markdown(d, planfile="plans/x.json")
    assert len(md) <= 60000
    assert md.startswith("### tempoctl plan — tempo-testnet\n\n**Plan: 5000 to add, 0 to change, 0 to destroy.**")
    assert "<details>" not in md
    m = re.search(r"_… (\d+) more changes not shown; run `tempoctl show plans/x.json` to see all._", md)
    assert m is not None
    shown = md.count("\n| `+` |")
    assert shown + int(m.group(1)) == 5000 and shown > 100
    assert md.rstrip().endswith(f"<!-- tempoctl-fingerprint: {d['fingerprint']} -->")


def test_markdown_drops_details_before_rows() -> None:
    d = _big_plan(60).to_dict()
    full = render_markdown(d)
    assert "<details><summary>Show plan</summary>" in full and "```diff\n" in full
    cut = render_markdown(d, max_chars=len(full) - 1)
    assert "<details>" not in cut and "Details omitted" in cut
    assert cut.count("\n| `+` |") == 60
    for limit in (2000, 500, 100):
        assert len(render_markdown(d, max_chars=limit)) <= limit


def test_markdown_diff_block_glyphs_in_column_zero() -> None:
    md = render_markdown(doc("roles"))
    assert "\n+   grantRole(ORACLE," in md
    assert "\n-   revokeRole(ORACLE," in md
    assert "\n!   broken: false -> true" in md


def test_verbose_shows_full_addresses_and_step_fields() -> None:
    text = render_text(doc("roles"), verbose=True)
    assert f"  # governance.role.ORACLE[{rp.ORACLE_NEW}] will be granted\n" in text
    assert f"      to: {rp.ACCESS}\n" in text
    assert f"depends on: governance.role.ORACLE[{rp.ORACLE_NEW}]" in text


def test_markdown_table_cells_are_escaped() -> None:
    plan = rp.roles_plan()
    sim = plan.changes[0].steps[0].simulation
    assert sim is not None
    sim.status, sim.error = "revert", "Custom(a|b)"
    md = render_markdown(plan.to_dict())
    row = next(ln for ln in md.splitlines() if ln.startswith("| `+` |"))
    assert "`Custom(a\\|b)`" in row and row.count(" | ") == 4
    assert "> **1 step(s) would revert; apply will refuse them.**" in md
