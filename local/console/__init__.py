"""The local console: traces, the service map, each function's execution environments, logs, metric
graphs and alarm states, as plain HTML pages (no script, a strict CSP, SVG drawn on the server).

A data plane of its own and read-only: everything it shows comes through the AWS APIs at the edge
(X-Ray, CloudWatch Logs, CloudWatch, Lambda) plus the executor's status
(``GET /_local/lambda/environments``, ``local.services.lambda_.status``), so it shows what
``aws xray get-trace-summaries`` and friends would. ``sources`` reads, ``waterfall``, ``service_map``
and ``charts`` shape and draw, ``pages`` renders, ``server`` serves (HTTPS, the local CA's loopback leaf).
"""
