"""Route tables compiled once per snapshot, so a request costs a few dict lookups.

API Gateway REST routing: which API and stage (by host, custom domain base path, or the first path
segment), then the resource tree, where a literal path part beats ``{param}``, which beats a greedy
``{proxy+}`` (one or more segments), and finally the method (or ``ANY``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import unquote

from local.services.apigateway.models import ANY_METHOD, GatewayState, Method, Resource, RestApi, Stage


class _Node:
    __slots__ = ("greedy", "literal", "param", "resource")

    def __init__(self) -> None:
        self.literal: dict[str, _Node] = {}
        self.param: tuple[str, _Node] | None = None
        self.greedy: tuple[str, Resource] | None = None
        self.resource: Resource | None = None


def _compile(resources: tuple[Resource, ...]) -> _Node:
    root = _Node()
    for resource in resources:
        node = root
        parts = [p for p in resource.path.split("/") if p]
        for index, part in enumerate(parts):
            if part.startswith("{") and part.endswith("+}"):
                if index != len(parts) - 1:
                    break  # API Gateway only allows a greedy part last
                node.greedy = (part[1:-2], resource)
                node = _Node()  # terminal; nothing hangs below a greedy part
                break
            if part.startswith("{") and part.endswith("}"):
                if node.param is None or node.param[0] != part[1:-1]:
                    node.param = (part[1:-1], node.param[1] if node.param else _Node())
                node = node.param[1]
            else:
                node = node.literal.setdefault(part, _Node())
        else:
            node.resource = resource
    return root


def _find(node: _Node, segments: list[str], index: int, params: dict[str, str]) -> Resource | None:
    if index == len(segments):
        return node.resource if node.resource is not None and node.resource.methods else None
    segment = segments[index]
    child = node.literal.get(segment)
    if child is not None and (found := _find(child, segments, index + 1, params)) is not None:
        return found
    if node.param is not None:
        name, child = node.param
        found = _find(child, segments, index + 1, params)
        if found is not None:
            params[name] = unquote(segment)
            return found
    if node.greedy is not None:
        name, resource = node.greedy
        if resource.methods:
            params[name] = unquote("/".join(segments[index:]))
            return resource
    return None


@dataclass(frozen=True)
class Match:
    resource: Resource
    method: Method
    path_parameters: dict[str, str]


@dataclass
class StageRoutes:
    api: RestApi
    stage: Stage
    _root: _Node = field(repr=False, default_factory=_Node)

    def __post_init__(self) -> None:
        self._root = _compile(self.api.resources)

    def match(self, http_method: str, path: str) -> Match | None:
        """``path`` is the raw (still percent-encoded) resource path, e.g. ``/v1/postcards/abc``."""
        segments = [s for s in path.split("/") if s]
        params: dict[str, str] = {}
        resource = _find(self._root, segments, 0, params)
        if resource is None:
            return None
        method = resource.methods.get(http_method) or resource.methods.get(ANY_METHOD)
        if method is None:
            return None
        return Match(resource, method, params)


@dataclass(frozen=True)
class Target:
    """Which stage a request addresses and the resource path left once the prefix is consumed."""

    routes: StageRoutes
    resource_path: str  # raw path after the stage / base path, starting with "/"
    event_path: str  # the event's "path": without the stage, but with a custom domain's base path
    domain_name: str
    domain_prefix: str
    request_context_path: str  # what requestContext.path reports


EXECUTE_API_LABEL = ".execute-api."
# LocalStack's path form, for when several APIs share a stage name on a bare host.
USER_REQUEST_PREFIX = "/restapis/"
USER_REQUEST_MARKER = "/_user_request_"


class RoutingTable:
    def __init__(self, state: GatewayState) -> None:
        self.state = state
        self.stages: dict[tuple[str, str], StageRoutes] = {
            (api.id, stage.name): StageRoutes(api, stage)
            for api in state.apis.values()
            for stage in api.stages.values()
        }
        self._by_stage_name: dict[str, list[StageRoutes]] = {}
        for routes in self.stages.values():
            self._by_stage_name.setdefault(routes.stage.name, []).append(routes)
        # custom domain -> [(base path, routes)], longest base path first, "(none)" last
        self._domains: dict[str, list[tuple[str, StageRoutes]]] = {}
        for mapping in state.base_path_mappings:
            mapped = self.stages.get((mapping.rest_api_id, mapping.stage))
            if mapped is not None:
                self._domains.setdefault(mapping.domain_name, []).append((mapping.base_path, mapped))
        for entries in self._domains.values():
            entries.sort(key=lambda entry: -len(entry[0]))

    @property
    def custom_domains(self) -> list[str]:
        return sorted(self._domains)

    def resolve(self, host: str, raw_path: str) -> Target | None:
        hostname = host.rsplit(":", 1)[0].lower() if not host.startswith("[") else host.lower()
        # An IP address has no prefix to speak of; AWS hosts are always names.
        domain_prefix = hostname if hostname.replace(".", "").isdigit() else hostname.split(".", 1)[0]
        if EXECUTE_API_LABEL in hostname:
            return self._by_stage_path(raw_path, hostname, domain_prefix, api_id=domain_prefix)
        mappings = self._domains.get(hostname)
        if mappings is not None:
            return self._by_base_path(mappings, raw_path, hostname, domain_prefix)
        if raw_path.startswith(USER_REQUEST_PREFIX):
            return self._by_user_request_path(raw_path, hostname, domain_prefix)
        return self._by_stage_path(raw_path, hostname, domain_prefix, api_id=None)

    def _by_stage_path(self, raw_path: str, hostname: str, prefix: str, api_id: str | None) -> Target | None:
        stage_name, _, rest = raw_path.lstrip("/").partition("/")
        routes: StageRoutes | None
        if api_id is not None:
            routes = self.stages.get((api_id, stage_name))
        else:
            candidates = self._by_stage_name.get(stage_name, [])
            routes = candidates[0] if len(candidates) == 1 else None
        if routes is None:
            return None
        return Target(routes, f"/{rest}", f"/{rest}", hostname, prefix, raw_path)

    def _by_user_request_path(self, raw_path: str, hostname: str, prefix: str) -> Target | None:
        head, marker, rest = raw_path.partition(USER_REQUEST_MARKER)
        parts = head[len(USER_REQUEST_PREFIX) :].split("/")
        if not marker or len(parts) != 2:
            return None
        routes = self.stages.get((parts[0], parts[1]))
        if routes is None:
            return None
        path = rest or "/"
        return Target(routes, path, path, hostname, prefix, f"/{parts[1]}{path}")

    @staticmethod
    def _by_base_path(
        mappings: list[tuple[str, StageRoutes]], raw_path: str, hostname: str, prefix: str
    ) -> Target | None:
        stripped = raw_path.lstrip("/")
        for base_path, routes in mappings:
            if not base_path:
                return Target(routes, raw_path or "/", raw_path or "/", hostname, prefix, raw_path)
            if stripped == base_path or stripped.startswith(base_path + "/"):
                rest = stripped[len(base_path) :]
                return Target(routes, rest or "/", raw_path, hostname, prefix, raw_path)
        return None
