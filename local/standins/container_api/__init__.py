"""Stand-in of the existing container API: the stamp catalogue the Postcards site decorates cards with.

The real service runs in a container and is left as it is; this small aiohttp service answers the
same endpoints so that the site, and API Gateway's ``/legacy/*`` HTTP_PROXY route, have something to
talk to on a laptop. Run it with ``python -m local.standins.container_api --port 4570`` (``make up`` does), or
build the Dockerfile beside it. It imports nothing from the rest of the project.

Endpoints (JSON, CORS for the configured site origins):
  GET /health          {"status": "ok", "service": "stamps", "version": …}
  GET /stamps          {"items": [stamp, …], "total": n}; ?country=XX filters, ?limit=&offset= pages
  GET /stamps/{id}     one stamp, or 404 {"error": {"code": "not_found", "message": …}}
"""
