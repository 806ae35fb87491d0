"""What a command run on a pull request's content may read: hosts, paths, databases and the backend, as the
trusted base declares them (DESIGN §8, issue 12 item 3).

Without `--trusted-base` the working tree is trusted and every question here answers "allowed". Under a
ref, an item of the working tree is read only when the base declares the same item:

* a host only with the same `connection` (no ssh connection to a destination a PR chose);
* its roots are the base's (`roots_for`): a PR cannot widen `roots:`;
* an env file only when the base declares that path on that host (under `hosts.<h>.env_files`, a Soroban
  consumer or the oracle relay); a key is public only if the base declares it `public` for that file, and a
  sensitive value is compared only when the base declares the same value (`entry_value`);
* a descriptor only when the base declares that path for a contract;
* a backup's host, destination and user only as the base declares them for that backup;
* an `indexer_lag` check only with the base's database for that host's check, and only towards servers the
  base declares under `databases:`; an `http` check only with a URL the base declares for that host;
* the backend (the HMAC comparison key, hand-off and managed-key records) only when it is the base's.

What is not declared is **not read** — no connection, no file read, no query — and reported as a note
(`unread(...)`) until merged; it plans no change and counts as no drift (the plan is a review aid; the
merge-time plan on main reads it).

Comparison is of the **unexpanded templates** as written (`${VAR}` kept), not of expanded values. Expanded
values would make the verdict an oracle: a PR writing a literal `connection: ssh://deploy@10.0.0.7` would be
read exactly when it guessed what the base's `ssh://deploy@${DEPLOY_HOST}` expands to, and the plan would
tell the author whether the guess was right. Templates are public (they are in the base's files), so
comparing them reveals nothing; the expansion rules (desired/trusted.py) already keep a PR from expanding a
variable where the base does not, so the same template expands to the same value under both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tempoctl.desired.trusted import TrustedBase


def at(doc: Any, *path: str | int) -> Any:
    node = doc
    for part in path:
        if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            continue
        if not (isinstance(node, dict) and part in node):
            return None
        node = node[part]
    return node


def _items(doc: Any, *path: str | int) -> list[tuple[Any, Any]]:
    node = at(doc, *path)
    if isinstance(node, dict):
        return list(node.items())
    if isinstance(node, list):
        return list(enumerate(node))
    return []


@dataclass(frozen=True)
class Declared:
    """The reach one (merged, unexpanded) document declares, as plain sets of templates."""

    hosts: Mapping[str, Any] = field(default_factory=dict)
    """host → its `connection` as written."""
    files: frozenset[tuple[str, str]] = frozenset()
    """(host, env-file path) from hosts.*.env_files, contract consumers and the oracle relay."""
    public: Mapping[tuple[str, str], frozenset[str]] = field(default_factory=dict)
    descriptors: frozenset[str] = frozenset()
    http: frozenset[tuple[str, str]] = frozenset()
    host_files: Mapping[tuple[str, str], Any] = field(default_factory=dict)
    """(host, managed file path as written) → its `content` as written."""

    @classmethod
    def of(cls, doc: Mapping[str, Any]) -> Declared:
        hosts = {str(h): at(spec, "connection") for h, spec in _items(doc, "hosts")}
        files: set[tuple[str, str]] = set()
        public: dict[tuple[str, str], frozenset[str]] = {}
        http: set[tuple[str, str]] = set()
        host_files: dict[tuple[str, str], Any] = {}
        for h, _ in _items(doc, "hosts"):
            for path, ef in _items(doc, "hosts", h, "env_files"):
                files.add((str(h), str(path)))
                keys = at(ef, "public")
                public[(str(h), str(path))] = frozenset(str(k) for k in keys) if isinstance(keys, list) else frozenset()
            for _, hf in _items(doc, "hosts", h, "files"):
                if isinstance(at(hf, "path"), str):
                    host_files[(str(h), at(hf, "path"))] = at(hf, "content")
            for _, check in _items(doc, "hosts", h, "checks", "http"):
                if isinstance(at(check, "url"), str):
                    http.add((str(h), at(check, "url")))
        descriptors: set[str] = set()
        for _, c in _items(doc, "contracts"):
            if isinstance(at(c, "descriptor"), str):
                descriptors.add(at(c, "descriptor"))
            for _, consumer in _items(c, "consumers"):
                host, path = at(consumer, "host"), at(consumer, "env_file")
                if isinstance(host, str) and isinstance(path, str):
                    files.add((host, path))
        relay_host, relay_file = at(doc, "oracle", "relay", "host"), at(doc, "oracle", "relay", "env_file")
        if isinstance(relay_host, str) and isinstance(relay_file, str):
            files.add((relay_host, relay_file))
        return cls(hosts, frozenset(files), public, frozenset(descriptors), frozenset(http), host_files)


@dataclass(frozen=True)
class Reach:
    """Answers "may this be read?" for one load: None when it may, else the note saying why not.

    `written` is the working tree's merged document before expansion (what the PR wrote); `trusted` the
    base it is compared with."""

    trusted: TrustedBase
    written: Mapping[str, Any]

    @property
    def gated(self) -> bool:
        return self.trusted.ref is not None

    def _base(self) -> Declared:
        cached: Declared | None = self.__dict__.get("_declared")
        if cached is None:
            cached = Declared.of(self.trusted.merged())
            object.__setattr__(self, "_declared", cached)
        return cached

    def _missing(self, dotted: str) -> str:
        return f"{dotted} is not declared on {self.trusted.ref} (read after merge)"

    def _differs(self, dotted: str) -> str:
        return f"{dotted} differs from {self.trusted.ref} (read after merge)"

    def host(self, name: str) -> str | None:
        """Why host `name` is not contacted at all, or None."""
        if not self.gated:
            return None
        base = self._base().hosts
        if name not in base:
            return self._missing(f"hosts.{name}")
        if base[name] != at(self.written, "hosts", name, "connection"):
            return self._differs(f"hosts.{name}.connection")
        return None

    def roots_for(self, name: str, own: list[str] | None) -> list[str] | None:
        """The roots paths on host `name` are confined to: the base's under a ref, whatever the PR writes."""
        if not self.gated:
            return own
        roots = self.trusted.get("hosts", name, "roots")
        if roots == at(self.written, "hosts", name, "roots"):
            return own  # the same templates: the loaded (expanded) value is the base's
        return [str(r) for r in roots] if isinstance(roots, list) else None

    def env_file(self, host: str, path_template: str) -> str | None:
        """Why env file `path_template` (as written) on `host` is not read, or None."""
        if not self.gated:
            return None
        return self.host(host) or (None if (host, path_template) in self._base().files
                                    else self._missing(f"hosts.{host}.env_files.{path_template}"))

    def host_file(self, host: str, index: int) -> str | None:
        """Why managed file `hosts.<host>.files[index]` is not read, or None: the base must declare that
        path on that host with the same content (a verdict on content a PR chose would confirm its guess of
        a live file)."""
        if not self.gated:
            return None
        path, content = at(self.written, "hosts", host, "files", index, "path"), \
            at(self.written, "hosts", host, "files", index, "content")
        base = self._base().host_files
        if (host, path) not in base:
            return self.host(host) or self._missing(f"hosts.{host}.files[{path}]")
        if base[(host, path)] != content:
            return self.host(host) or self._differs(f"hosts.{host}.files[{path}].content")
        return self.host(host)

    def public(self, host: str, path: str, key: str, own: bool) -> bool:
        """Whether `key` of env file `path` is shown as it is: the base must declare it public too."""
        if not self.gated:
            return own
        return own and key in self._base().public.get((host, path), frozenset())

    def entry_value(self, where: tuple[str | int, ...]) -> str | None:
        """Why a sensitive env-file value declared at `where` is not compared with the live one, or None.

        The verdict `(sensitive) unchanged`/`changed` on a value a PR wrote tells its author whether a guess
        of the live value (a password, or the variable `secret: env:VAR` names) is right, one PR at a time.
        Under a ref, only a value declared as the base declares it is compared."""
        if not self.gated or not where:
            return None
        if self.trusted.get(*where) == at(self.written, *where):
            return None
        return f"{'.'.join(str(p) for p in where)} differs from {self.trusted.ref} (compared after merge)"

    def descriptor(self, contract: str) -> str | None:
        if not self.gated:
            return None
        template = at(self.written, "contracts", contract, "descriptor")
        return None if template in self._base().descriptors else self._missing(f"contracts.{contract}.descriptor")

    def backup(self, name: str, host: str) -> str | None:
        """A backup's host, destination and user (what its reads reach) must be the base's."""
        if not self.gated:
            return None
        problem = self.host(host)
        if problem:
            return problem
        if self.trusted.get("backups", name) is None:
            return self._missing(f"backups.{name}")
        for key in ("host", "destination", "user", "via"):
            if self.trusted.get("backups", name, key) != at(self.written, "backups", name, key):
                return self._differs(f"backups.{name}.{key}")
        return None

    def indexer_lag(self, host: str) -> str | None:
        """The check's database (and every server under `databases:`) must be the base's."""
        if not self.gated:
            return None
        base = self.trusted.get("hosts", host, "checks", "indexer_lag", "database")
        if base is None:
            return self._missing(f"hosts.{host}.checks.indexer_lag")
        if base != at(self.written, "hosts", host, "checks", "indexer_lag", "database"):
            return self._differs(f"hosts.{host}.checks.indexer_lag.database")
        return None

    def database(self, name: str) -> bool:
        """Whether `databases.<name>` is the base's (host and port as written)."""
        if not self.gated:
            return True
        base = self.trusted.get("databases", name)
        return base is not None and all(at(base, k) == at(self.written, "databases", name, k)
                                        for k in ("host", "port"))

    def http(self, host: str, url_template: str) -> str | None:
        if not self.gated:
            return None
        return self.host(host) or (None if (host, url_template) in self._base().http
                                   else self._missing(f"hosts.{host}.checks.http[{url_template}]"))

    def backend(self) -> str | None:
        """Why the backend is not opened (the PR names another one), or None."""
        if not self.gated:
            return None
        if self.trusted.get("backend") != at(self.written, "backend"):
            return self._differs("backend")
        return None


def written_template(written: Mapping[str, Any], where: tuple[str | int, ...], key: str) -> str | None:
    """The template written at `where` + `key` (a consumer's or the relay's `env_file`)."""
    value = at(written, *where, key)
    return value if isinstance(value, str) else None
