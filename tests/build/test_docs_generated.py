"""buildtools/docs: the Terraform READMEs' generated tables follow the .tf files, and --check
(make lint) fails on a stale one without touching it."""

from __future__ import annotations

import json
from pathlib import Path

from buildtools.docs.__main__ import main
from buildtools.docs.generated import BEGIN, END

VARIABLES = """
variable "memory_mb" {
  description = "Memory | in MB."
  type        = map(number)
  default     = { api = 512 }
}

variable "name" {
  description = "Required name."
  type        = string
}

variable "key" {
  description = "A secret."
  type        = string
  default     = null
  sensitive   = true
}
"""

OUTPUTS = """
output "url" {
  description = "Where it answers."
  value       = "https://example.com"
}
"""


def a_repository(tmp_path: Path) -> Path:
    module = tmp_path / "terraform" / "modules" / "thing"
    module.mkdir(parents=True)
    (module / "variables.tf").write_text(VARIABLES)
    (module / "outputs.tf").write_text(OUTPUTS)
    (tmp_path / "terraform" / "main.tf").write_text('locals {\n  a = "b"\n}\n')
    (tmp_path / "terraform" / "README.md").write_text(f"# root\n\nHand text.\n\n{BEGIN}\n{END}\n\nAfter.\n")
    return tmp_path


def test_a_module_without_readme_gets_one_with_its_inputs_and_outputs(tmp_path: Path) -> None:
    root = a_repository(tmp_path)

    assert main(["--root", str(root)]) == 0

    readme = (root / "terraform/modules/thing/README.md").read_text()
    assert readme.startswith("# terraform/modules/thing/\n")
    assert '| `memory_mb` | `map(number)` | `{"api" = 512}` | Memory \\| in MB. |' in readme
    assert "| `name` | `string` | required | Required name. |" in readme
    assert "| `key` | `string` | `null` | A secret. (sensitive) |" in readme
    assert "| `url` | Where it answers. |" in readme


def test_hand_written_text_around_the_markers_is_kept(tmp_path: Path) -> None:
    root = a_repository(tmp_path)

    main(["--root", str(root)])

    readme = (root / "terraform/README.md").read_text()
    assert readme.startswith("# root\n\nHand text.\n\n")
    assert readme.endswith(f"{END}\n\nAfter.\n")
    assert "## Inputs\n\nNone." in readme


def test_check_fails_on_a_changed_description_and_changes_nothing(tmp_path: Path, capsys) -> None:
    root = a_repository(tmp_path)
    main(["--root", str(root)])
    variables = root / "terraform/modules/thing/variables.tf"
    variables.write_text(VARIABLES.replace("Required name.", "The name."))
    readme = root / "terraform/modules/thing/README.md"
    before = readme.read_text()

    assert main(["--root", str(root), "--check"]) == 1

    assert readme.read_text() == before
    assert "terraform/modules/thing/README.md: is stale" in capsys.readouterr().err
    assert main(["--root", str(root)]) == 0
    assert main(["--root", str(root), "--check"]) == 0


def test_a_readme_without_markers_is_an_error_not_overwritten(tmp_path: Path, capsys) -> None:
    root = a_repository(tmp_path)
    (root / "terraform/README.md").write_text("# root, no markers\n")

    assert main(["--root", str(root)]) == 1

    assert (root / "terraform/README.md").read_text() == "# root, no markers\n"
    assert "no '<!-- BEGIN GENERATED" in capsys.readouterr().err


def test_this_repository_is_in_sync() -> None:
    assert main(["--check"]) == 0


ROOT_VARIABLES = """
variable "architecture" {
  type    = string
  default = "arm64"
}
variable "function_memory_mb" {
  type    = map(number)
  default = { postcards = 1024, thumbnails = 2048, housekeeping = 1024 }
}
variable "provisioned_concurrency" {
  type    = map(number)
  default = { postcards = 2 }
}
variable "xray_sampling_rate" {
  type    = number
  default = 0.5
}
"""


def figures(billed_ms: float, init_ms: float) -> dict:
    function = {
        "cold": {"n": 1, "init_duration": {"median_ms": init_ms}},
        "warm": {"n": 9, "billed_duration": {"median_ms": billed_ms}},
    }
    return {"measured_at": "2026-12-01T00:00:00+00:00", "functions": dict.fromkeys(FUNCTIONS, function)}


FUNCTIONS = ("postcards", "thumbnails", "housekeeping")


def test_the_cost_page_multiplies_configured_memory_by_measured_duration(tmp_path: Path) -> None:
    root = a_repository(tmp_path)
    (root / "terraform/variables.tf").write_text(ROOT_VARIABLES)
    (root / "docs/quest/figures").mkdir(parents=True)
    (root / "docs/quest/figures/lambda_reports.json").write_text(
        json.dumps(figures(billed_ms=100, init_ms=1000))
    )

    assert main(["--root", str(root)]) == 0

    page = (root / "docs/quest/cost.md").read_text()
    # 1 M x 1 GB x 0.1 s x $0.0000133334 = $1.33; requests $0.20; REST $3.50; X-Ray 50 % of $5 = $2.50
    assert "| API calls (`postcards`, 1024 MB, 100 ms) | $0.20 | $1.33 | $3.50 | $2.50 | **$7.53** |" in page
    # 2 GB x 0.1 s: $2.67; Lambda samples S3 events at 5 %: $0.25
    assert "| photos (`thumbnails`, 2048 MB, 100 ms) | $0.20 | $2.67 |" in page
    # 1 M cold starts x 1 GB x 1 s = $13.33
    assert "| `postcards` | 1024 MB | 1000 ms | $13.33 |" in page
    # two 1 GB environments for 30 days at $0.0000033334 a GB-s
    assert "| provisioned concurrency `postcards` | 2 \u00d7 1024 MB | $17.28 |" in page


def test_a_customer_managed_kms_key_costs_at_rest(tmp_path: Path) -> None:
    root = a_repository(tmp_path)
    (root / "terraform/variables.tf").write_text(ROOT_VARIABLES)
    (root / "terraform/keys.tf").write_text('resource "aws_kms_key" "alarms" {\n  description = "k"\n}\n')
    (root / "docs/quest/figures").mkdir(parents=True)
    (root / "docs/quest/figures/lambda_reports.json").write_text(
        json.dumps(figures(billed_ms=100, init_ms=1000))
    )

    main(["--root", str(root)])

    assert "| KMS customer managed keys | 1 (" in (root / "docs/quest/cost.md").read_text()
