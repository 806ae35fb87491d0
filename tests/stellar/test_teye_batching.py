"""Soroban reads are batched (DESIGN §10): one `getLedgerEntries` for the instance and every managed key, and
`plan --no-batch` (the benchmark's comparison) asks for one key per request instead, reading the same state."""

from __future__ import annotations

from tests.stellar.conftest import Teye


def _plan_counting_reads(teye: Teye, *flags: str) -> int:
    before = teye.emu.calls["getLedgerEntries"]
    res = teye.ws.run("plan", "teye-local", "--detailed-exitcode", *flags)
    assert res.exit_code == 0, res.output
    assert "No changes" in res.output
    return teye.emu.calls["getLedgerEntries"] - before


def test_no_batch_reads_one_ledger_key_per_request_and_sees_the_same_state(teye: Teye) -> None:
    members = [kp.public_key for kp in teye.others[:3]]
    tiers = {teye.admin.public_key: "SuperAdmin", teye.others[3].public_key: "OperatorAdmin"}
    for m in members:
        teye.contract.whitelist_add(m)
    teye.contract.set_tier(teye.others[3].public_key, 1)
    teye.contract.set_whitelist_enabled(True)
    teye.write(whitelist=members, tiers=tiers)

    assert _plan_counting_reads(teye) == 1
    # The instance entry, ADM_LIST, three whitelist entries, two tier entries and the RBAC role (ROLE_ASN) of
    # each tier holder and the admin (here the admin holds a tier): nine keys, nine requests.
    assert _plan_counting_reads(teye, "--no-batch") == 1 + 1 + len(members) + 2 * len(tiers)
