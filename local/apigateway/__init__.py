"""API Gateway REST data plane: what Terraform deployed to the control plane, served over HTTP.

``models`` (state) ← ``loader`` (control plane + OpenAPI body) → ``routing`` (compiled tables);
``events`` / ``responses`` (proxy formats), ``validation``, ``throttling``, ``integrations``;
``server`` is the aiohttp wire side and ``start()`` the entry point the orchestrator calls.
"""

from local.apigateway.server import AdminRoute, ApiGateway, start

__all__ = ["AdminRoute", "ApiGateway", "start"]
