"""JSON Schema of one state file, generated from the pydantic models, for editors (DESIGN §2 `schemas/`).

A file is a fragment of the merged environment, so every top-level key is optional here; cross-file rules
(names unique, references exist) are `tempoctl validate`'s job. Output is deterministic so a test can tell
when the committed `schemas/` is stale.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tempoctl.desired.models import DesiredState

SCHEMA_FILE = "tempoctl-state.schema.json"
SCHEMA_ID = "https://tempoctl.dev/schemas/tempoctl-state.schema.json"


def state_file_schema() -> dict[str, Any]:
    """The schema of one `state/<env>/*.yaml` file."""
    schema = DesiredState.model_json_schema(mode="validation")
    schema.pop("required", None)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    schema["title"] = "tempoctl state file"
    schema["description"] = (
        "One file of a tempoctl environment (state/<env>/*.yaml). All files of the folder are merged by "
        "name; ${VAR} and ${VAR:-default} are expanded from the environment. Secrets never go here: signers "
        "use key: env:VAR or keystore:PATH."
    )
    return schema


def write_schemas(out_dir: Path) -> list[Path]:
    """Write the schemas into `out_dir` (created if needed); returns the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / SCHEMA_FILE
    text = json.dumps(state_file_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    path.write_text(text, encoding="utf-8")
    return [path]


if __name__ == "__main__":  # python -m tempoctl.desired.schema [OUT_DIR]
    import sys

    for p in write_schemas(Path(sys.argv[1] if len(sys.argv) > 1 else "schemas")):
        print(p)
