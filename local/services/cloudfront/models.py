"""The deployed distribution as the site server needs it: immutable, built once per (re)load.

Pure state, no I/O: ``loader`` fills it from the control plane (and the Terraform state where moto
drops parts of it), the server only reads it.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field

# (name, value, override): a header a response headers policy adds; override replaces the origin's.
PolicyHeader = tuple[str, str, bool]


@dataclass(frozen=True)
class Behavior:
    path_pattern: str | None  # None: the default behaviour
    origin_id: str
    allowed_methods: frozenset[str]
    compress: bool
    viewer_request_function: str | None = None  # function ARN
    response_headers_policy_id: str | None = None
    viewer_protocol_policy: str = "allow-all"  # redirect-to-https, https-only

    def matches(self, path: str) -> bool:
        if self.path_pattern is None:
            return True
        pattern = self.path_pattern if self.path_pattern.startswith("/") else f"/{self.path_pattern}"
        # CloudFront patterns: * any characters (slashes too), ? one character; case-sensitive.
        return fnmatch.fnmatchcase(path, pattern)


@dataclass(frozen=True)
class Distribution:
    id: str
    domain_name: str
    aliases: tuple[str, ...]
    default_root_object: str
    origins: Mapping[str, tuple[str, str]]  # origin id -> (bucket, origin path)
    behaviors: tuple[Behavior, ...]  # ordered behaviours, then the default one last
    custom_error_responses: Mapping[int, tuple[str, int | None]]  # error -> (page path, response code)
    # policy id ("" for every behaviour without one) -> the headers it adds
    response_headers: Mapping[str, tuple[PolicyHeader, ...]] = field(default_factory=dict)
    sources: Mapping[str, str] = field(default_factory=dict)  # part -> where it was read from
    certificate_arn: str | None = None  # the aliases' ACM certificate (us-east-1)
    minimum_protocol_version: str | None = None  # the viewer security policy, e.g. TLSv1.2_2021

    def behavior_for(self, path: str) -> Behavior:
        return next(b for b in self.behaviors if b.matches(path))
