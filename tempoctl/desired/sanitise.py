"""Second step of the desired stage, per parsed file: refuse what must never be in a state file (keys, seeds,
mnemonics, database passwords, control characters) and expand `${VAR}` where the trusted base allows it.

It remembers, for every scalar that came from an expansion, the template it was written as, and every
value it read from the environment: messages show `${VAR}`, never the value (DESIGN §8; an RPC URL with an
API key in it must not reach a PR comment through "expected an integer, got https://…/KEY").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tempoctl.desired.expand import Refusal, expand, references
from tempoctl.desired.secrets import find_secret, hex_allowed, secret_message
from tempoctl.desired.source import KeyPath, Positions, render_path
from tempoctl.desired.trusted import TrustedBase
from tempoctl.errors import Diagnostic
from tempoctl.safetext import describe_control, find_control

REDACTED = "<redacted>"
# Scalars that may hold several lines. Every other field of the state files reaches a command, a unit file,
# a crontab, an env file, a URL or a plan line, where a newline splits what the plan shows from what runs
# (issue 12). Comments are the place for prose. A field added here must say why.
# - hosts.<h>.files[i].content: a managed file's whole text (a rules file is many lines). It reaches only the
#   file itself, written as bytes on stdin, and the plan shows it line by line behind `|` (every line shown).
FREE_TEXT_FIELDS: tuple[tuple[str, ...], ...] = (("hosts", "files", "content"),)
# Values shorter than this are not hidden from output by text replacement (replacing every "1000" or "info"
# would garble plans; keys, tokens and URLs are longer); a validation error still shows its scalar's template.
MIN_HIDDEN_LENGTH = 8


def free_text(path: KeyPath) -> bool:
    """True for a documented free-text field (newlines and tabs allowed, other controls still refused)."""
    names = tuple(str(p) for p in path if not isinstance(p, int))
    # hosts.<h>.files[i].content: the host's name sits between "hosts" and "files".
    return any(names[-len(f):] == f or (len(names) == 4 and (names[0], *names[2:]) == f)
               for f in FREE_TEXT_FIELDS if f)


def control_words(char: str) -> str:
    return (f"control character {describe_control(char)}: not allowed in state files (it would let a value "
            "read one way in the plan and act another way where it is used)")


@dataclass
class Sanitiser:
    """Walks each file's data; collects diagnostics, the paths whose later errors are noise, the templates
    of expanded scalars and the values read (value → `${VAR}`)."""

    environ: Mapping[str, str]
    trusted: TrustedBase
    secrets: Mapping[str, str]  # the working tree's secret references (VAR → field)
    diags: list[Diagnostic] = field(default_factory=list)
    suppressed: set[str] = field(default_factory=set)
    templates: dict[KeyPath, str] = field(default_factory=dict)
    read: dict[str, str] = field(default_factory=dict)
    read_at: dict[str, dict[str, str]] = field(default_factory=dict)  # dotted path → its own values read

    def run(self, data: Any, pos: Positions) -> Any:
        return self._node(data, (), None, pos)

    def hide(self, text: str, path: str = "") -> str:
        """`text` with every value read from the environment replaced by its `${VAR}`: long values anywhere,
        and, in a message about the scalar at dotted `path`, that scalar's own values whatever their length
        (`not a duration: '${MAX_AGE}'`)."""
        table = {**self.read, **{v: ref for v, ref in self.read_at.get(path, {}).items() if len(v) >= 2}}
        for value in sorted(table, key=len, reverse=True):
            if value in text:
                text = text.replace(value, table[value])
        return text

    def _node(self, node: Any, path: KeyPath, parent: Any, pos: Positions) -> Any:
        if isinstance(node, dict):
            out: dict[str, Any] = {}
            for k, v in node.items():
                kind = find_secret(k)
                if kind is not None:
                    self.diags.append(Diagnostic(pos.key((*path, k)), render_path(path),
                                                 "a key " + secret_message(kind)))
                    continue
                bad = find_control(k)
                if bad is not None:
                    self.diags.append(Diagnostic(pos.key((*path, k)), render_path(path),
                                                 f"a mapping key: {control_words(k[bad])}"))
                    continue
                out[k] = self._node(v, (*path, k), node, pos)
            return out
        if isinstance(node, list):
            return [self._node(v, (*path, i), node, pos) for i, v in enumerate(node)]
        if not isinstance(node, str):
            return node
        return self._scalar(node, path, parent, pos)

    def _scalar(self, node: str, path: KeyPath, parent: Any, pos: Positions) -> Any:
        # Where and the dotted path are only rendered for a refusal or an expansion: a plain value (nearly
        # every one of a 10,000-item file) costs no path formatting.
        hex_ok = hex_allowed(path, parent)
        kind = find_secret(node, hex_ok=hex_ok)
        if kind is not None:
            return self._refuse(pos.value(path), render_path(path), secret_message(kind))
        bad = find_control(node, allow_newline=free_text(path))
        if bad is not None:
            return self._refuse(pos.value(path), render_path(path), control_words(node[bad]))
        if "${" not in node:
            return node
        where, dotted = pos.value(path), render_path(path)

        def policy(name: str) -> Refusal | None:
            reason = self.trusted.secret_reason(name, self.secrets)
            if reason is not None:
                return Refusal(f"${{{name}}} cannot be expanded into {dotted}: {reason}, which only that "
                               "field may read", hard=True)
            if self.trusted.allows_expansion(name, dotted):
                return None
            return Refusal(f"${{{name}}} may not be expanded into {dotted} under {self.trusted.describe()}: "
                           f"the base does not use it there (declare it on the base branch: "
                           f"environment.yaml variables: {{{name}: [{dotted}]}})", hard=False)

        value, errors, used = expand(node, self.environ, policy)
        for name, got in used.items():
            self.read_at.setdefault(dotted, {})[got] = f"${{{name}}}"
            if len(got) >= MIN_HIDDEN_LENGTH:
                self.read.setdefault(got, f"${{{name}}}")
        if errors:
            for e in errors:
                self.diags.append(Diagnostic(where, dotted, e))
            self.suppressed.add(dotted)
            return value
        if value != node:
            self.templates[path] = node
            names = ", ".join(f"${{{n}}}" for n in references(node))
            kind = find_secret(value, hex_ok=hex_ok)
            if kind is not None:
                return self._refuse(where, dotted, f"the value of {names} " + secret_message(kind))
            bad = find_control(value, allow_newline=free_text(path))
            if bad is not None:
                return self._refuse(where, dotted, f"the value of {names}: {control_words(value[bad])}")
        return value

    def _refuse(self, where: str, dotted: str, message: str) -> str:
        self.diags.append(Diagnostic(where, dotted, message))
        self.suppressed.add(dotted)
        return REDACTED
