"""Inputs and outputs of each Terraform module (and of the root) as Markdown tables, from the
`variable` and `output` blocks of its *.tf files (python-hcl2), for the module's README.md."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2

from buildtools.docs.generated import Generated

_OPTIONS = hcl2.SerializationOptions(with_comments=False, explicit_blocks=False, strip_string_quotes=True)
REQUIRED = object()

NEW_README = """# {title}

{generated}"""


@dataclass(frozen=True)
class Variable:
    name: str
    type: str
    default: Any  # REQUIRED when the input has no default
    description: str
    sensitive: bool


@dataclass(frozen=True)
class Output:
    name: str
    description: str
    sensitive: bool


def _expression(value: Any) -> str:
    """HCL as python-hcl2 gives it back: "${...}" around an expression, plain values as they are."""
    if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
        return value[2:-1]
    if value is None:
        return "null"
    if isinstance(value, str):
        return json.dumps(value)
    return json.dumps(value, separators=(", ", " = ") if isinstance(value, dict) else (", ", ": "))


def _type(value: Any) -> str:
    """A type constraint is an expression, never a string: `string` comes back bare."""
    text = str(value)
    return text[2:-1] if text.startswith("${") and text.endswith("}") else text


def _blocks(folder: Path, kind: str) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for tf in sorted(folder.glob("*.tf")):
        document = hcl2.loads(tf.read_text(encoding="utf-8"), serialization_options=_OPTIONS)
        for block in document.get(kind, []):
            found.extend(block.items())
    return found


def variables(folder: Path) -> list[Variable]:
    return [
        Variable(
            name=name,
            type=_type(body.get("type", "any")),
            default=body.get("default", REQUIRED),
            description=str(body.get("description", "")),
            sensitive=bool(body.get("sensitive", False)),
        )
        for name, body in _blocks(folder, "variable")
    ]


def outputs(folder: Path) -> list[Output]:
    return [
        Output(name, str(body.get("description", "")), bool(body.get("sensitive", False)))
        for name, body in _blocks(folder, "output")
    ]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    return f"`{_cell(text)}`"


def tables(folder: Path) -> str:
    lines = ["## Inputs", ""]
    found = variables(folder)
    if found:
        lines += ["| name | type | default | description |", "|---|---|---|---|"]
        for v in found:
            default = "required" if v.default is REQUIRED else _code(_expression(v.default))
            note = " (sensitive)" if v.sensitive else ""
            lines.append(f"| `{v.name}` | {_code(v.type)} | {default} | {_cell(v.description)}{note} |")
    else:
        lines.append("None.")
    lines += ["", "## Outputs", ""]
    found_outputs = outputs(folder)
    if found_outputs:
        lines += ["| name | description |", "|---|---|"]
        for o in found_outputs:
            note = " (sensitive)" if o.sensitive else ""
            lines.append(f"| `{o.name}` | {_cell(o.description)}{note} |")
    else:
        lines.append("None.")
    return "\n".join(lines) + "\n"


def _title(terraform: Path, folder: Path) -> str:
    return "terraform/" if folder == terraform else f"terraform/{folder.relative_to(terraform)}/"


def module_readmes(terraform: Path) -> list[Generated]:
    """The root's README and each module's, in a stable order."""
    folders = [terraform, *sorted(p for p in (terraform / "modules").iterdir() if p.is_dir())]
    return [
        Generated(
            path=folder / "README.md",
            body=tables(folder),
            source="the *.tf files' variable and output blocks",
            template=NEW_README.format(title=_title(terraform, folder), generated="{generated}"),
        )
        for folder in folders
        if any(folder.glob("*.tf"))
    ]
