"""JSON rendering of a plan (`--format json`): the document of `Plan.to_dict()` itself, secrets masked.

The text and Markdown renderers read the same document, so the three formats cannot disagree.
"""

from __future__ import annotations

import json
from typing import Any

from tempoctl.plan.render.values import public_document
from tempoctl.safetext import json_inert


def render_json(plan: dict[str, Any]) -> str:
    """The plan document as indented JSON plus a newline, key order as built (DESIGN §5 order)."""
    text = json.dumps(public_document(plan), indent=2, sort_keys=False, ensure_ascii=False)
    return json_inert(text) + "\n"  # C1 and bidi controls from RPC text are \uXXXX, as C0 already is
