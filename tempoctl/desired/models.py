"""Pydantic models of the whole desired-state format (`../shared/examples/`), one class per YAML block.

Every model forbids unknown keys. Field names are the YAML keys; apply and the profiles rely on the
normalised values (checksummed EVM addresses, validated strkeys, lower-case bytes32, durations in seconds).
"""

from __future__ import annotations

import functools
import operator
import sys
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from tempoctl.desired.alerting import Alerts
from tempoctl.desired.base import ContractModel, EvmContract, EvmNetwork, Model, StellarNetwork
from tempoctl.desired.types import (
    Duration,
    EvmAddress,
)
from tempoctl.profiles.catalog import contract_models

__all__ = ["Backup", "Contract", "ContractModel", "Database", "DesiredState", "EnvFile", "EvmContract", "EvmNetwork",
           "Host", "HostChecks", "HttpCheck", "IndexerLagCheck", "Model", "Network", "Oracle", "Relay", "SecretValue",
           "Service", "Signer", "StellarNetwork"]

# --- networks -------------------------------------------------------------------------------------------


Network = Annotated[EvmNetwork | StellarNetwork, Field(discriminator="type")]


# --- signers --------------------------------------------------------------------------------------------


class Channel(Model):
    """A channel account of a Stellar signer: a funded account that is the source (and fee payer) of some of
    the signer's Soroban transactions, while the signer authorises each invocation with a signed Soroban
    authorization entry. stellar-core keeps one pending transaction per source account, so N channels let N
    invocations go into each ledger instead of one."""

    address: str = Field(description="The channel's G… account address (funded: it pays the fees).")
    key: str | None = Field(default=None, description="env:VAR holding its S… seed; without it the channel is "
                                                      "not used.")

    @field_validator("key")
    @classmethod
    def _channel_key(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if not v.startswith("env:") or not v.split(":", 1)[1].strip():
            raise ValueError("expected env:VARIABLE holding the channel's S… seed (never the seed itself)")
        return v


class Signer(Model):
    """Who sends a step. `key` says where the secret lives (`env:VAR` or `keystore:PATH`), never the secret.

    With `via: safe` the EVM steps are written as a Safe Transaction Builder batch instead of being sent;
    a Stellar signer without `key` gets an unsigned transaction XDR.
    """

    network: str
    address: str
    key: str | None = None
    via: Literal["key", "safe"] | None = None
    channels: list[Channel] = Field(
        default_factory=list, max_length=100,
        description="Stellar only: channel accounts that send this signer's Soroban invocations in parallel "
        "(one pending transaction per account per ledger); the signer authorises each one.")

    @field_validator("key")
    @classmethod
    def _key_reference(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if not v.startswith(("env:", "keystore:")):
            raise ValueError("expected a key reference: env:VARIABLE or keystore:PATH (never the key itself)")
        if not v.split(":", 1)[1].strip():
            raise ValueError("key reference has an empty name after the colon")
        return v


# --- contract profiles: each profile's model is in its folder (tempoctl/profiles/<name>/model.py) -------------


# Profile folders bring their own models (tempoctl/profiles/catalog.py): the union the YAML is validated
# against is built from them, discriminated by `profile:`, so a new profile needs no edit here.
if TYPE_CHECKING:
    Contract = ContractModel
else:
    Contract = Annotated[functools.reduce(operator.or_, contract_models()), Field(discriminator="profile")]


def __getattr__(name: str) -> Any:
    """A model class that moved into a profile folder (`AccessControlContract`, `BreakerSpec`, …), found by name
    in the folders' model modules, for code that imports it from here."""
    for model in contract_models():
        found = getattr(sys.modules[model.__module__], name, None)
        if isinstance(found, type):
            return found
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --- oracle --------------------------------------------------------------------------------------------


class Relay(Model):
    host: str
    service: str
    env_file: str
    key_variable: str = "ORACLE_PRIVATE_KEY"
    new_key: str | None = None

    @field_validator("new_key")
    @classmethod
    def _env_only(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith("env:"):
            raise ValueError("expected env:VARIABLE (the key itself never goes in YAML)")
        return v


class Oracle(Model):
    """The oracle is the sole holder of ORACLE on `contract` (an access-control contract)."""

    contract: str
    address: EvmAddress
    role: str = "ORACLE"
    min_fee_balance: str | None = Field(default=None, pattern=r"^\d+(\.\d+)?$")
    top_up_from: str | None = None
    relay: Relay | None = None
    fresh_signal_within: Duration | None = None


# --- hosts ---------------------------------------------------------------------------------------------


class Service(Model):
    """A systemd unit by name (`api`, `api.service`, a template instance `worker@blue`; never a glob)."""

    state: Literal["running", "stopped"] = "running"
    enabled: bool | None = Field(
        default=None,
        description="Persistently enabled (systemctl enable). Ignored, with a plan note, for units whose "
        "UnitFileState is static, indirect, generated, transient or alias.",
    )
    single_instance: bool = False
    settle: Duration | None = Field(
        default=None,
        description="After a start or restart, how long the unit must stay active with the same MainPID and "
        "NRestarts before it counts as up (default 3s).",
    )


class SecretValue(Model):
    secret: str

    @field_validator("secret")
    @classmethod
    def _env_only(cls, v: str) -> str:
        if not v.startswith("env:"):
            raise ValueError("expected env:VARIABLE (the secret itself never goes in YAML)")
        return v


class EnvFile(Model):
    """A managed env file. Its live values are sensitive by default (a plain key such as DATABASE_URL can
    hold a password): plans show them only as `(sensitive) changed`/`unchanged`, except the keys listed in
    `public`, whose live and desired values are shown as they are."""

    values: dict[str, str | SecretValue] = Field(default_factory=dict)
    public: list[str] = Field(
        default_factory=list,
        description="Keys of `values` whose live value may be shown in plans (not secret: e.g. POLL_INTERVAL). "
        "Every other value is shown only as (sensitive) changed/unchanged.",
    )
    restart: list[str] = Field(default_factory=list)
    owner: str | None = None
    mode: str | None = Field(default=None, pattern=r"^0?[0-7]{3,4}$")


class HostFile(Model):
    """A whole file tempoctl writes on a host (`<host>.file[path]`), e.g. a Prometheus rules file. Its live
    content is compared, never shown: the plan shows the desired lines, marking those already there."""

    path: str = Field(description="Inside the host's roots (absolute, or relative to the base).")
    content: str | None = Field(default=None, description="The file's whole content, written as is (UTF-8).")
    generated: Literal["alerts"] | None = Field(
        default=None, description="Instead of `content`: `alerts` writes the environment's Prometheus rules "
        "(what `tempoctl alerts ENV` prints), so a monitoring host's rules follow the state files.")
    mode: str | None = Field(default=None, pattern=r"^0?[0-7]{3,4}$",
                             description="Octal mode; a new file is 0644 unless set. Never world-writable.")
    owner: str | None = Field(default=None, description="user or user:group (chown); kept when unset.")

    @model_validator(mode="after")
    def _one_source(self) -> HostFile:
        if (self.content is None) == (self.generated is None):
            raise ValueError("declare exactly one of content: or generated:")
        return self


class Database(Model):
    """A PostgreSQL server tempoctl may send credentials to (libpq's PGPASSWORD/passfile), by host and port."""

    host: str = Field(description="Host name or address, as written in the check's URL (e.g. 127.0.0.1).")
    port: int = Field(default=5432, ge=1, le=65535)


class IndexerLagCheck(Model):
    database: str = Field(description="postgresql://user@host[:port]/db (no password) or a bare database name "
                          "(libpq's PGHOST/PGPORT). A URL's host and port must be declared under `databases:` "
                          "(localhost:5432 is declared by default): credentials are sent only there.")
    network: str
    max_blocks: int = Field(gt=0)


class HttpCheck(Model):
    url: str = Field(description="An http:// or https:// URL, fetched by curl on the host (no other scheme).")
    expect_status: int = Field(default=200, ge=100, le=599)
    expect_body: str | None = Field(
        default=None, description='Text the response body must contain (e.g. `"ready":true`); unset = any body.'
    )
    timeout: Duration = 5.0

    @field_validator("url")
    @classmethod
    def _http_only(cls, v: str) -> str:
        from tempoctl.desired.hostpaths import url_error

        problem = url_error(v)
        if problem:
            raise ValueError(problem)
        return v


class HostChecks(Model):
    indexer_lag: IndexerLagCheck | None = None
    http: list[HttpCheck] = Field(default_factory=list)


class Host(Model):
    connection: str
    roots: list[str] | None = Field(
        default=None,
        description="Directories tempoctl may read and write on this host (absolute, or ~ / ~/DIR). Relative "
        "paths resolve against the base (the user's home over ssh, the working directory for local), which is "
        "always a root. Default: ~, /srv, /opt, /backup, /var/backups (no ~ for local).",
    )

    services: dict[str, Service] = Field(default_factory=dict)
    env_files: dict[str, EnvFile] = Field(default_factory=dict)
    files: list[HostFile] = Field(default_factory=list)
    checks: HostChecks | None = None

    @field_validator("connection")
    @classmethod
    def _connection(cls, v: str) -> str:
        if v != "local" and not v.startswith("ssh://"):
            raise ValueError("expected `local` or ssh://user@host[:port]")
        if v.startswith("ssh://") and ":" in v[6:].split("@")[0]:
            raise ValueError("passwords never go in YAML: use the ssh agent or ~/.ssh/config")
        return v


# --- backups -------------------------------------------------------------------------------------------


class MaxBlockAge(Model):
    """`max(<column>)` of the restored `<table>` must be at most `blocks` behind the network's head."""

    network: str
    blocks: int = Field(ge=0)
    table: str = "indexer_state"
    column: str = "last_indexed_block"


class Drill(Model):
    """Smoke checks a restore drill runs on the restored copy (`tempoctl backup drill ENV NAME`).

    Declaring `drill:` (even `{}`) makes drills part of the backup's desired state: a backup whose last
    successful drill is older than `drill_every` is drift."""

    tables_present: list[str] = Field(default_factory=list, description="Tables (`name` or `schema.name`) "
                                      "the restored database must have (postgres backups).")
    min_rows: dict[str, int] = Field(default_factory=dict, description="Table → the fewest rows it may hold "
                                     "after the restore (postgres backups).")
    max_block_age: MaxBlockAge | None = None
    files_present: list[str] = Field(default_factory=list, description="Relative paths the restored archive "
                                     "must hold as regular files (files backups).")
    descriptors: list[str] = Field(default_factory=list, description="Teye deployment descriptors in the "
                                   "archive (relative paths): valid JSON, a contract ID whose strkey checksum "
                                   "holds, a 64-hex wasm_hash (files backups).")
    checksums: list[str] = Field(default_factory=list, description="`sha256sum` files in the archive (e.g. "
                                 "dist/SHA256SUMS.txt): every file they list must be present with that hash.")


class Backup(Model):
    host: str
    kind: Literal["postgres", "files"]
    database: str | None = None
    paths: list[str] = Field(default_factory=list)
    schedule: str
    destination: str
    filename: str
    retention_days: int = Field(gt=0)
    verify: bool = True
    max_age: Duration
    via: Literal["cron", "systemd-timer"] = "cron"
    user: str | None = None
    drill: Drill | None = None
    drill_every: Duration = Field(default=30 * 86400.0, gt=0, description="With `drill:`, how old the last "
                                  "successful restore drill may be before it is drift (default 30d).")


# --- the environment -----------------------------------------------------------------------------------


class DesiredState(Model):
    """The merged content of every `*.yaml` in `state/<env>/`."""

    environment: str
    networks: dict[str, Network] = Field(default_factory=dict)
    signers: dict[str, Signer] = Field(default_factory=dict)
    backend: str = Field(
        default="sqlite:///.tempoctl/<environment>.db",
        description="Where locks, the apply journal and records live: sqlite:///PATH (relative to the working "
        "directory) or postgresql://user@host/db. Default: the environment's own .tempoctl/<environment>.db.",
    )

    @model_validator(mode="before")
    @classmethod
    def _own_backend(cls, data: object) -> object:
        """No `backend:` → the environment's own SQLite file (formerly one file shared by all)."""
        if isinstance(data, dict) and "backend" not in data and isinstance(data.get("environment"), str):
            from tempoctl.backend import default_backend

            return {**data, "backend": default_backend(data["environment"])}
        return data
    contracts: dict[str, Contract] = Field(default_factory=dict)
    oracle: Oracle | None = None
    hosts: dict[str, Host] = Field(default_factory=dict)
    backups: dict[str, Backup] = Field(default_factory=dict)
    databases: dict[str, Database] = Field(
        default_factory=dict,
        description="PostgreSQL servers checks may connect to, by host and port; localhost:5432 needs no entry.",
    )
    alerts: Alerts | None = Field(
        default=None,
        description="Settings of the Prometheus rules `tempoctl alerts` generates (for: durations, thresholds, "
        "runbook URL base); the other thresholds come from the state files.")
    variables: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Where each environment variable may be expanded beyond the fields that already use it "
        "(`NAME: [networks.*.rpc_url]`, globs over dotted field paths). Read from the trusted base under "
        "--trusted-base, so a pull request cannot widen it.",
    )
    labels: dict[str, str | int | bool] = Field(
        default_factory=dict,
        description="Facts about this environment that policies (policies/*.rego) read as "
        "input.environment.labels, e.g. `production: true`. Read from the trusted base under --trusted-base, "
        "so a pull request cannot drop a label to escape a policy.",
    )
