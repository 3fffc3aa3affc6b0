"""The root module's variables a user sets for the local cloud, kept with its state.

``python -m local up --var NAME=VALUE`` (repeatable) and ``--var-file PATH`` set any variable
``terraform/variables.tf`` declares, as ``terraform apply -var``/``-var-file`` do for AWS. What was
given is kept in the state folder (``terraform/user-variables.json``, beside the Terraform state), so
a later ``make up`` without options applies the same; new ``--var`` values are added to (or replace)
the kept ones, a new ``--var-file`` replaces the kept file, ``--clear-vars`` forgets both first.
``--fresh`` forgets the state, not these.

Checked before anything starts, with errors that say what to do: the name must be declared by the
root; the variables the local cloud wires itself (its endpoint, URLs, region) cannot be set. Values
are passed to Terraform as given (``-var`` reads a non-string type's value as an expression), so
Terraform's own type checks and ``validation`` blocks judge them.

https://developer.hashicorp.com/terraform/language/values/variables#assigning-values-to-root-module-variables
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from local.cloud.errors import UpError
from local.config import VariableRequest

KEPT_FILE: Final = "user-variables.json"

# Terraform's identifier syntax (letters, digits, underscores and hyphens, not starting with a digit).
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_DECLARATION = re.compile(r'^\s*variable\s+"([^"]+)"', re.MULTILINE)
# What the local cloud sets itself: its own addresses, which a user value would only break.
WIRED: Final = frozenset(
    {"local_endpoint", "container_api_url", "public_site_url", "public_api_url", "region", "domain_name"}
)


@dataclass
class UserVariables:
    """The variables kept for one state folder: ``-var`` values and one var file's content."""

    values: dict[str, str] = field(default_factory=dict)
    var_file_name: str | None = None  # its suffix tells Terraform how to read it (.tfvars or .json)
    var_file_content: str | None = None

    @classmethod
    def load(cls, terraform_dir: Path) -> UserVariables:
        path = terraform_dir / KEPT_FILE
        if not path.is_file():
            return cls()
        try:
            document = json.loads(path.read_text())
            return cls(
                values={str(k): str(v) for k, v in document.get("values", {}).items()},
                var_file_name=document.get("var_file", {}).get("name"),
                var_file_content=document.get("var_file", {}).get("content"),
            )
        except (ValueError, AttributeError) as error:
            raise UpError(
                f"{path} is not what `up` wrote ({error}); remove it or run with --clear-vars"
            ) from error

    def save(self, terraform_dir: Path) -> None:
        terraform_dir.mkdir(parents=True, exist_ok=True)
        document: dict[str, Any] = {"values": self.values}
        if self.var_file_name is not None:
            document["var_file"] = {"name": self.var_file_name, "content": self.var_file_content}
        temporary = terraform_dir / f"{KEPT_FILE}.tmp"
        temporary.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
        temporary.replace(terraform_dir / KEPT_FILE)

    def var_file(self, terraform_dir: Path) -> Path | None:
        """The kept var file, written out for Terraform's ``-var-file`` (None without one)."""
        if self.var_file_name is None or self.var_file_content is None:
            return None
        path = terraform_dir / f"user{_var_file_suffix(self.var_file_name)}"
        if not path.is_file() or path.read_text() != self.var_file_content:
            path.write_text(self.var_file_content)
        return path

    def describe(self) -> str:
        """One line for the console: what is applied besides the local cloud's own variables."""
        parts = [f"{name}={value}" for name, value in sorted(self.values.items())]
        if self.var_file_name is not None:
            parts.insert(0, f"var file {self.var_file_name}")
        return ", ".join(parts)


def parse_assignment(text: str) -> tuple[str, str]:
    """``NAME=VALUE`` as ``--var`` takes it (the value may contain ``=``)."""
    name, equals, value = text.partition("=")
    name = name.strip()
    if not equals or not _NAME.fullmatch(name):
        raise ValueError(f"--var {text!r}: expected NAME=VALUE, e.g. --var chaos_enabled=true")
    return name, value


def declared_variables(root: Path) -> set[str]:
    """The variables the root module declares (``variable "name"`` blocks in its .tf files)."""
    return {name for path in sorted(root.glob("*.tf")) for name in _DECLARATION.findall(path.read_text())}


def settle(request: VariableRequest, terraform_dir: Path, root: Path) -> UserVariables:
    """The kept variables updated with ``request``, checked against the root, and kept again."""
    kept = UserVariables() if request.clear else UserVariables.load(terraform_dir)
    declared = declared_variables(root)
    if request.var_file is not None:
        kept.var_file_name, kept.var_file_content = request.var_file.name, _read_var_file(request.var_file)
    for name, value in request.values:
        kept.values[name] = value
    names = set(kept.values) | (_var_file_names(kept) if kept.var_file_content is not None else set())
    _check_names(names, declared)
    kept.save(terraform_dir)
    return kept


def _check_names(names: set[str], declared: set[str]) -> None:
    unknown = sorted(names - declared)
    if unknown:
        hint = ", ".join(sorted(_close_to(name, declared) for name in unknown))
        raise UpError(
            f"terraform/ declares no variable {', '.join(unknown)} ({hint}); "
            "see terraform/variables.tf, or forget kept values with --clear-vars"
        )
    wired = sorted(names & WIRED)
    if wired:
        raise UpError(
            f"{', '.join(wired)}: set by the local cloud itself (its endpoint and URLs); "
            "change them with python -m local up's own options (--host, ports), or --clear-vars"
        )


def _close_to(name: str, declared: set[str]) -> str:
    import difflib

    match = difflib.get_close_matches(name, sorted(declared), n=1)
    return f"did you mean {match[0]}?" if match else f"no variable like {name}"


def _read_var_file(path: Path) -> str:
    _var_file_suffix(path.name)
    try:
        content = path.read_text()
    except OSError as error:
        raise UpError(f"--var-file {path}: {error.strerror or error}") from error
    if path.name.endswith(".json"):
        try:
            document = json.loads(content)
        except ValueError as error:
            raise UpError(f"--var-file {path}: not JSON ({error})") from error
        if not isinstance(document, dict):
            raise UpError(f"--var-file {path}: expected a JSON object of variable names to values")
    return content


def _var_file_suffix(name: str) -> str:
    for suffix in (".tfvars.json", ".tfvars"):
        if name.endswith(suffix):
            return suffix
    raise UpError(f"--var-file {name}: Terraform reads .tfvars or .tfvars.json files")


def _var_file_names(kept: UserVariables) -> set[str]:
    """The variables a var file assigns: a JSON object's keys, or a .tfvars file's top-level names
    (assignments outside any brace or bracket; Terraform itself reports the file's syntax)."""
    content = kept.var_file_content or ""
    if (kept.var_file_name or "").endswith(".json"):
        return set(json.loads(content))
    names, depth = set(), 0
    for line in content.splitlines():
        stripped = line.split("#", 1)[0].split("//", 1)[0]
        if depth == 0 and (match := re.match(r"\s*([A-Za-z_][A-Za-z0-9_-]*)\s*=", stripped)):
            names.add(match.group(1))
        unquoted = re.sub(r'"(?:[^"\\]|\\.)*"', "", stripped)
        depth += unquoted.count("{") + unquoted.count("[") - unquoted.count("}") - unquoted.count("]")
    return names
