"""Issue 13, merge of the typed core (h13a) with the profile folders (h13b): the rules and readers that only the
folders had now use typed addresses, step views and typed observation fields. Each test fails if that code goes
back to the regexes, f-strings or `facts` keys it had."""

from __future__ import annotations

import pytest

from tempoctl.core.addrs import RoleId, RoleMember, parse_address
from tempoctl.core.steps import HostFileWrite, StepFieldError
from tempoctl.errors import SafetyError
from tempoctl.observed.observation import ObservedValues
from tempoctl.plan.fork.after import _merged
from tempoctl.plan.model import Action, Change, Step
from tempoctl.profiles.access_control.ordering import add_role_edges, check_lockout

A, B = "0x00000000000000000000000000000000000000A1", "0x00000000000000000000000000000000000000B2"


def _change(address: str, action: Action, signer: str | None = None) -> Change:
    steps = [Step(kind="evm_transaction", display=address, signer=signer)] if signer else []
    return Change(address=address, action=action, before=None, after=None, reason="test", steps=steps)


def test_timelock_role_id_address_keeps_its_text_and_parses_to_its_own_kind() -> None:
    assert str(RoleId("timelock", "PROPOSER")) == "timelock.role_id.PROPOSER"
    assert parse_address("timelock.role_id.PROPOSER") == RoleId("timelock", "PROPOSER")
    assert parse_address("ops.tl.role_id.EXECUTOR") == RoleId("ops.tl", "EXECUTOR")


def test_role_rules_hold_for_a_dotted_contract_name() -> None:
    """The old `[^.]+` regexes saw no role address in `gov.v2.role.…`: no grant-before-revoke edge, no lock-out."""
    grant = _change(str(RoleMember("gov.v2", "ADMIN", B)), Action.CREATE)
    revoke = _change(str(RoleMember("gov.v2", "ADMIN", A)), Action.DELETE)
    fund = _change(f"oracle.fee_balance[{B}]", Action.UPDATE)
    add_role_edges([fund, grant, revoke], {}, {})
    assert grant.address in revoke.depends_on
    assert fund.address in grant.depends_on
    observed = ObservedValues(values={"gov.v2.role.ADMIN": [A]})
    with pytest.raises(SafetyError, match="lock out role administration") as refused:
        check_lockout([revoke], observed)
    assert "gov.v2: ADMIN would be left with no holder" in str(refused.value.detail)


def test_a_managed_file_step_reads_back_and_a_broken_one_names_its_field() -> None:
    write = HostFileWrite(host="h", path="/etc/x.conf", index=0, sha256="ab" * 32, mode="0644", owner=None,
                          installs={"lines": 1})
    step = Step(kind=HostFileWrite.KIND, display="write", fields=write.to_fields())
    assert list(step.fields) == ["host", "path", "index", "sha256", "mode", "owner", "installs"]
    assert HostFileWrite.of(step) == write
    step.fields["index"] = "0"
    with pytest.raises(StepFieldError, match="`index`"):
        HostFileWrite.of(step)


def test_fork_merge_keeps_typed_observations_of_both_reads() -> None:
    """plan --fork re-reads only EVM state: role names and the fee token's decimals of the plan's own read
    stay, the fork's role names join them, and values of a forked contract come from the fork only."""
    original = ObservedValues(values={"gov.role.ADMIN": [A], "risk.paused": False, "vm.whitelist[G1]": True},
                              role_names={"0x00": "ADMIN"}, fee_token_decimals=6)
    fresh = ObservedValues(values={"gov.role.ADMIN": [B]}, role_names={"0x01": "ORACLE"})
    merged = _merged(original, fresh, {"gov", "risk"})
    assert merged.values == {"gov.role.ADMIN": [B], "vm.whitelist[G1]": True}
    assert merged.role_names == {"0x00": "ADMIN", "0x01": "ORACLE"}
    assert merged.fee_token_decimals == 6
    assert merged.facts["role_names"] is merged.role_names


@pytest.mark.parametrize("profile", ["ownable", "timelock"])
def test_a_contract_that_does_not_answer_is_a_diagnostic_on_its_address(profile: str) -> None:
    """ownable/timelock report a wrong contract with observed.error() (the read raises on `errors`), not by
    appending to facts['errors']."""
    from tempoctl.profiles.base import ObserveContext, Result
    from tempoctl.profiles.ownable.profile import OwnableProfile
    from tempoctl.profiles.timelock.profile import TimelockProfile

    plugin = OwnableProfile() if profile == "ownable" else TimelockProfile()
    contract = type("C", (), {"address": A, "from_block": 1})()
    observed = ObservedValues()
    ctx = ObserveContext(env=None, network="tempo", chain_id=1, block=1, client=None, observed=observed)  # type: ignore[arg-type]
    gen = plugin.observe(ctx, "thing", contract)  # type: ignore[arg-type]
    calls = next(gen)
    with pytest.raises(StopIteration):
        gen.send([Result(ok=False, value=None) for _ in calls])
    assert [(d.path, d.is_error) for d in observed.errors] == [(("contracts", "thing", "address"), True)]
    assert "errors" not in observed.facts and observed.values == {}
