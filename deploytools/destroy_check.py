"""What would stop ``terraform destroy`` part-way, said before anything is deleted.

S3 refuses to delete a bucket that holds anything, and a versioned bucket still holds every deleted
object's versions and delete markers ("BucketNotEmpty"); Terraform empties a bucket first only with
``force_destroy``. The media bucket is versioned and not force-destroyed by default (it holds user
uploads), so a destroy would stop there after removing part of the stack. ``make destroy`` runs this
first: it reads the state (``terraform show -json``), asks S3 whether each bucket without
``force_destroy`` is empty, and lists the ones that are not with the ways on.
https://docs.aws.amazon.com/AmazonS3/latest/userguide/delete-bucket.html
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

# The root variable that lets destroy empty a bucket, by the module that owns the bucket.
_FORCE_DESTROY_VARIABLES = {"module.data.": "force_destroy_media"}


@dataclass(frozen=True)
class Blocker:
    address: str
    bucket: str
    region: str
    versioned: bool

    def advice(self) -> str:
        variable = next(
            (v for prefix, v in _FORCE_DESTROY_VARIABLES.items() if self.address.startswith(prefix)), None
        )
        held = "object versions or delete markers" if self.versioned else "objects"
        lines = [
            f"- {self.bucket} ({self.address}) still holds {held}: "
            "S3 refuses to delete a bucket that is not empty"
            + (
                ", and a versioned bucket keeps every deleted object's versions and delete markers."
                if self.versioned
                else "."
            ),
            "  To proceed, either:",
        ]
        if variable:
            lines.append(
                f"  * delete them with the stack: set {variable} = true (terraform/postcards.auto.tfvars), "
                "run make deploy, then make destroy again;"
            )
        lines.append(
            "  * or empty it yourself first (every version and delete marker), e.g. in the S3 console "
            f"(Empty bucket) or with: aws s3api delete-objects --bucket {self.bucket} --region {self.region} "
            f'--delete "$(aws s3api list-object-versions --bucket {self.bucket} --region {self.region} '
            "--query '{Objects: [Versions, DeleteMarkers][][].{Key: Key, VersionId: VersionId}}' "
            '--output json)" '
            "(1000 at a time; repeat until list-object-versions shows none)."
        )
        return "\n".join(lines)


def buckets(state: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every aws_s3_bucket in ``terraform show -json`` output, with its address."""

    def walk(module: dict[str, Any]) -> Iterator[dict[str, Any]]:
        for resource in module.get("resources", []):
            if resource.get("mode") == "managed" and resource.get("type") == "aws_s3_bucket":
                yield resource
        for child in module.get("child_modules", []):
            yield from walk(child)

    root = state.get("values", {}).get("root_module")
    if root:
        yield from walk(root)


def blockers(state: dict[str, Any], s3_client: Callable[[str], Any]) -> list[Blocker]:
    """The buckets destroy would stop at: not force-destroyed and not empty.

    ``s3_client(region)`` gives an S3 client for the bucket's region.
    """
    found = []
    for resource in buckets(state):
        values = resource.get("values", {})
        if values.get("force_destroy"):
            continue
        name, region = values["bucket"], values.get("region") or "us-east-1"
        client = s3_client(region)
        versioned = client.get_bucket_versioning(Bucket=name).get("Status") in ("Enabled", "Suspended")
        if versioned:
            page = client.list_object_versions(Bucket=name, MaxKeys=1)
            holds = bool(page.get("Versions") or page.get("DeleteMarkers"))
        else:
            holds = bool(client.list_objects_v2(Bucket=name, MaxKeys=1).get("KeyCount"))
        if holds:
            found.append(Blocker(resource["address"], name, region, versioned))
    return found


def _state(terraform_dir: str) -> dict[str, Any]:
    terraform = shutil.which("terraform")
    if terraform is None:
        raise SystemExit("destroy check: terraform is not on PATH")
    # S603: a fixed argv (terraform found on PATH, the repository's own root folder), no shell.
    result = subprocess.run(  # noqa: S603
        [terraform, f"-chdir={terraform_dir}", "show", "-json", "-no-color"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"destroy check: terraform show failed:\n{result.stderr}")
    return json.loads(result.stdout or "{}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploytools.destroy_check", description=__doc__)
    parser.add_argument("--terraform-dir", default="terraform", help="the root module (default: terraform)")
    args = parser.parse_args(argv)

    import boto3

    session = boto3.session.Session()
    found = blockers(_state(args.terraform_dir), lambda region: session.client("s3", region_name=region))
    if not found:
        return 0
    print(
        "make destroy stops here, before deleting anything: terraform destroy would fail part-way at",
        file=sys.stderr,
    )
    for blocker in found:
        print(blocker.advice(), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
