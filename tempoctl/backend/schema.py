"""The backend schema, one list of migrations for both flavours, applied on first use.

`schema_version` holds the highest migration applied; a newer tempoctl adds a migration at the end of
`MIGRATIONS` and older databases are brought forward the first time it opens them. A database written by a
newer tempoctl than this one is refused rather than misread.

The DDL differs only in how an auto-numbered id is spelled, so each statement is a template with `{serial}`.
"""

from __future__ import annotations

SERIAL = {"sqlite": "INTEGER PRIMARY KEY AUTOINCREMENT", "postgresql": "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"}

MIGRATIONS: list[list[str]] = [
    [
        # Every key tempoctl has managed, per environment and scope ("vision_records.whitelist", ...): what
        # `import` and the Stellar profile use to tell "ours, now removed from YAML" from "never ours".
        """CREATE TABLE managed_keys (
            environment TEXT NOT NULL, scope TEXT NOT NULL, key TEXT NOT NULL,
            added_at TEXT NOT NULL,
            PRIMARY KEY (environment, scope, key))""",
        # Small named positions, e.g. the last Soroban ledger scanned for events.
        """CREATE TABLE cursors (
            environment TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL, updated_at TEXT NOT NULL,
            PRIMARY KEY (environment, name))""",
        # Who holds (or last held) the apply lock of an environment. On SQLite the row *is* the lock; on
        # PostgreSQL the lock is a session advisory lock and the row only describes its holder.
        """CREATE TABLE locks (
            environment TEXT PRIMARY KEY, lock_id TEXT NOT NULL, holder TEXT NOT NULL, host TEXT NOT NULL,
            pid INTEGER NOT NULL, pid_started TEXT NOT NULL, command TEXT NOT NULL, created_at TEXT NOT NULL,
            session INTEGER NOT NULL DEFAULT 0)""",
        # The apply journal: one row per step event, written (committed) before the step is sent.
        """CREATE TABLE journal (
            id {serial}, environment TEXT NOT NULL, apply_id TEXT NOT NULL, ts TEXT NOT NULL,
            event TEXT NOT NULL, address TEXT, network TEXT, sender TEXT, nonce BIGINT, tx_hash TEXT,
            fields TEXT NOT NULL)""",
        "CREATE INDEX journal_by_env_event ON journal (environment, event)",
        "CREATE INDEX journal_by_tx ON journal (environment, tx_hash)",
        # The audit log: one row per apply (who, from which commit, which plan, how it ended); its steps are
        # the journal rows with the same apply_id.
        """CREATE TABLE applies (
            apply_id TEXT PRIMARY KEY, environment TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT,
            holder TEXT NOT NULL, host TEXT NOT NULL, command TEXT NOT NULL, git_commit TEXT,
            plan_fingerprint TEXT, outcome TEXT NOT NULL, error TEXT)""",
        "CREATE INDEX applies_by_env ON applies (environment, started_at)",
    ],
    [
        # Changes handed off to someone else and not executed yet (a Safe batch, an unsigned XDR): the next
        # plan shows them as awaiting instead of planning them again, on whichever machine it runs. `record`
        # is JSON: digest of the steps, hand-off kind, file, signer name, apply id, created/expires times.
        """CREATE TABLE pending (
            environment TEXT NOT NULL, address TEXT NOT NULL, record TEXT NOT NULL, updated_at TEXT NOT NULL,
            PRIMARY KEY (environment, address))""",
    ],
    [
        # The random key env-file secrets are compared under (HMAC-SHA256, issue 10 item 4): a plan or drift
        # report never holds a digest, and one made without this key cannot confirm a guessed secret.
        # Created on first use by the roles that run drift and apply; a plan without access says so.
        """CREATE TABLE secret_keys (
            environment TEXT PRIMARY KEY, hmac_key TEXT NOT NULL, created_at TEXT NOT NULL)""",
    ],
    [
        # GitOps: the last commit of main applied to each environment and the git tree of its state folder
        # there. The apply workflow plans every environment whose folder differs from this tree (not just
        # the pushed diff, so a cancelled run's merge is not skipped), and apply refuses a commit older than
        # it (a re-run of an old workflow run). See tempoctl/gitops.py.
        """CREATE TABLE gitops_applied (
            environment TEXT PRIMARY KEY, git_commit TEXT NOT NULL, folder_tree TEXT NOT NULL,
            apply_id TEXT, applied_at TEXT NOT NULL)""",
    ],
    [
        # Whether the environment's state files were committed, modified or untracked when the apply ran
        # (issue 17): `git_commit` alone names HEAD even when what ran was not HEAD's files.
        "ALTER TABLE applies ADD COLUMN git_state TEXT",
    ],
    [
        # Restore drills (issue 18): one row per `tempoctl backup drill`, written before the scratch database
        # or directory is created, so a drill killed outright (SIGKILL) leaves a row naming what it made and
        # the next drill of that backup removes it. `scratch_created` is set only once this drill's own
        # CREATE DATABASE / mktemp succeeded: a name that already existed is never marked, so never removed.
        # `outcome`: running, passed, failed. host/pid/pid_started: the drill process, so a sweep leaves a
        # drill that still runs alone.
        """CREATE TABLE backup_drills (
            drill_id TEXT PRIMARY KEY, environment TEXT NOT NULL, backup TEXT NOT NULL,
            started_at TEXT NOT NULL, finished_at TEXT, backup_file TEXT, scratch TEXT,
            scratch_created INTEGER NOT NULL DEFAULT 0, cleaned INTEGER NOT NULL DEFAULT 0,
            outcome TEXT NOT NULL, detail TEXT, host TEXT, pid INTEGER, pid_started TEXT)""",
        "CREATE INDEX backup_drills_by_backup ON backup_drills (environment, backup, started_at)",
    ],
]

LATEST = len(MIGRATIONS)


def statements(version: int, dialect: str) -> list[str]:
    """The DDL of migration `version` (1-based) for `dialect`."""
    return [s.replace("{serial}", SERIAL[dialect]) for s in MIGRATIONS[version - 1]]
