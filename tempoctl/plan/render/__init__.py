"""Plan renderers: text (default), json and markdown, all from the one `Plan.to_dict()` document.

Rendering is kept apart from computing (Terraform's `views`): nothing here decides what changes, and every
format masks secrets the same way (`values.public_document`).
"""

from __future__ import annotations

from typing import Any

from tempoctl.errors import ConfigError
from tempoctl.plan.render.json import render_json
from tempoctl.plan.render.markdown import render_markdown
from tempoctl.plan.render.text import render_text

FORMATS = ("text", "json", "markdown")


def render(
    plan: dict[str, Any],
    fmt: str = "text",
    *,
    color: bool = False,
    verbose: bool = False,
    max_chars: int = 60000,
    planfile: str | None = None,
) -> str:
    """Render a plan document in one of `FORMATS`; options a format does not use are ignored."""
    if fmt == "text":
        return render_text(plan, color=color, verbose=verbose)
    if fmt == "json":
        return render_json(plan)
    if fmt == "markdown":
        return render_markdown(plan, max_chars=max_chars, planfile=planfile)
    raise ConfigError(f"unknown output format {fmt!r}", hint="Supported formats: " + ", ".join(FORMATS) + ".")


__all__ = ["FORMATS", "render", "render_json", "render_markdown", "render_text"]
