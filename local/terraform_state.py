"""What Terraform deployed, read from its state file.

moto keeps most of what Terraform sends, but not all of it: an OpenAPI body import drops request
validators, models, method parameters, gateway responses and binary media types; CloudFront keeps no
function associations. The state file holds every attribute exactly as Terraform sent it, so the data
planes fall back to it for those parts (and say so in their logs).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class StateError(Exception):
    """The state file is missing or not a Terraform state (v4) document."""


@dataclass(frozen=True)
class ResourceInstance:
    address: str  # e.g. module.api.aws_api_gateway_rest_api.this
    type: str
    attributes: dict[str, Any]


@dataclass(frozen=True)
class TerraformState:
    instances: tuple[ResourceInstance, ...]
    outputs: Mapping[str, Any] = field(default_factory=dict)  # root outputs: name -> value

    @classmethod
    def empty(cls) -> TerraformState:
        return cls(())

    @classmethod
    def load(cls, path: Path) -> TerraformState:
        try:
            document = json.loads(path.read_text())
        except FileNotFoundError as error:
            raise StateError(f"no Terraform state at {path}") from error
        except json.JSONDecodeError as error:
            raise StateError(f"{path} is not JSON: {error}") from error
        if not isinstance(document, dict) or document.get("version") != 4:
            raise StateError(f"{path} is not a Terraform state (format version 4)")
        return cls.from_document(document)

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> TerraformState:
        """A parsed state (v4) document."""
        outputs = {
            name: output.get("value")
            for name, output in (document.get("outputs") or {}).items()
            if isinstance(output, dict)
        }
        return cls(tuple(_instances(document)), outputs)

    def of_type(self, resource_type: str) -> list[dict[str, Any]]:
        """Attributes of every managed instance of ``resource_type``, in state order."""
        return [i.attributes for i in self.instances if i.type == resource_type]


def _instances(document: Mapping[str, Any]) -> Iterator[ResourceInstance]:
    for resource in document.get("resources", []):
        if resource.get("mode") != "managed":
            continue
        prefix = f"{resource['module']}." if resource.get("module") else ""
        address = f"{prefix}{resource['type']}.{resource['name']}"
        for instance in resource.get("instances", []):
            key = instance.get("index_key")
            suffix = "" if key is None else f"[{json.dumps(key, ensure_ascii=False)}]"
            yield ResourceInstance(address + suffix, resource["type"], instance.get("attributes") or {})
