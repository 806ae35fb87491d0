"""Write a `local` environment (the demo's and the end-to-end tests' desired state) for a deployment."""

from __future__ import annotations

from pathlib import Path

from tests.support.anvil import DEV_ADDRESSES as A
from tests.support.contracts import TempoVaultDeployment

# The editor modeline every state file starts with (state/<env>/*.yaml → the committed schema).
SCHEMA_MODELINE = "# yaml-language-server: $schema=../../schemas/tempoctl-state.schema.json"

KEY_VARS = {"admin": "LOCAL_ADMIN_KEY", "risk_officer": "LOCAL_RISK_OFFICER_KEY", "emergency": "LOCAL_EMERGENCY_KEY"}


def environment_yaml(url: str, chain_id: int, fee_token: str) -> str:
    return f"""{SCHEMA_MODELINE}
# Local devnet (anvil): the demo's and the tests' environment. Keys are anvil's public dev keys.
environment: local
networks:
  anvil:
    type: evm
    chain_id: {chain_id}
    rpc_url: ${{TEMPOCTL_LOCAL_RPC:-{url}}}
    fee_token: "{fee_token}"
signers:
  admin: {{network: anvil, address: "{A[0]}", key: env:LOCAL_ADMIN_KEY}}
  risk_officer: {{network: anvil, address: "{A[1]}", key: env:LOCAL_RISK_OFFICER_KEY}}
  emergency: {{network: anvil, address: "{A[2]}", key: env:LOCAL_EMERGENCY_KEY}}
backend: sqlite:///.tempoctl/local.db
"""


def tempovault_yaml(d: TempoVaultDeployment, *, oracle: str = A[6], extra_roles: str = "") -> str:
    return f"""{SCHEMA_MODELINE}
contracts:
  governance:
    network: anvil
    address: "{d.governance}"
    profile: access-control
    signer: admin
    roles:
      ADMIN: ["{A[0]}"]
      EMERGENCY: ["{A[2]}"]
      RISK_OFFICER: ["{A[1]}"]
      TREASURY_MANAGER: ["{A[3]}"]
      STRATEGIST: ["{A[4]}"]{extra_roles}
    unlisted_members: revoke
  risk:
    network: anvil
    address: "{d.risk}"
    profile: tempovault/risk-controller
    paused: false
    circuit_breakers:
      pathUSD-AlphaUSD:
        tokens: ["0x20C0000000000000000000000000000000000000", "0x20c0000000000000000000000000000000000001"]
        broken: false
      legacy-pair:
        id: "0x0000000000000000000000000000000000000000000000000000000000000001"
        broken: true
    risk_params:
      maxExposurePerPairBps: 3000
      maxTickDeviation: 150
      maxImbalanceBps: 9000
      maxOrderSize: 50000000000
      minReserveBps: 2000
      oracleStalenessThreshold: 300
      maxSpreadSanityTicks: 100
      minDepthThreshold: 100000000000
  vault:
    network: anvil
    address: "{d.vault}"
    profile: tempovault/treasury-vault
    approved_tokens: ["{d.fee_token}"]
    approved_strategies: ["{A[5]}"]
    fee_config: {{treasury: "{A[0]}", performance_bps: 1000, management_bps: 200}}
    from_block: {d.start_block}
  legacy_risk:
    network: anvil
    address: "{d.legacy_risk}"
    profile: custom
    signer: admin
    settings:
      oracle:
        read: "oracle()(address)"
        write: "setOracleAddress(address)"
        value: "{oracle}"
      breaker_eth_usd:
        read: "circuitBroken(bytes32)(bool)"
        write: "setCircuitBreaker(bytes32,bool)"
        key: "0x190cba1f91e8cfcbaeaf2ecbeb74e46a30f7896786e0b8de91dc03edea0ecaec"
        value: true
oracle:
  contract: governance
  address: "{oracle}"
  min_fee_balance: "5"
  top_up_from: admin
"""


def write_local_state(folder: Path, d: TempoVaultDeployment, *, oracle: str = A[6]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "environment.yaml").write_text(environment_yaml(d.url, d.chain_id, d.fee_token))
    (folder / "tempovault.yaml").write_text(tempovault_yaml(d, oracle=oracle))
    return folder
