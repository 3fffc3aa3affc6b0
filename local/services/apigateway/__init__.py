"""API Gateway REST data plane: what Terraform deployed to the control plane, served over HTTP.

``models`` (state) ← ``loader`` (control plane + OpenAPI body) → ``routing`` (compiled tables);
``events`` / ``responses`` (proxy formats), ``validation``, ``throttling``, ``integrations``;
``server`` handles each request (``http1`` is its HTTP/1.1 wire, ``admin`` the ``/_local/`` endpoints)
and ``start()`` is the entry point the orchestrator calls.
"""

from local.services.apigateway.server import AdminRoute, ApiGateway, start

__all__ = ["AdminRoute", "ApiGateway", "start"]
