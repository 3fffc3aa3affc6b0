"""What a REST stage records about each request: its X-Ray segment and API Gateway's metrics.

Tracing, as https://docs.aws.amazon.com/xray/latest/devguide/xray-services-apigateway.html describes
it, on stages with tracing enabled: an incoming ``X-Amzn-Trace-Id`` is continued with its sampling
decision; without a decision the sampling rules decide (service ``<api name>/<stage>``, type
``AWS::ApiGateway::Stage``, the request's method, path and host: the rule Terraform creates, else
X-Ray's default). The integration gets the header with the decision and, as Parent, the stage's
subsegment for the call, so a Lambda function's or the container API's segments nest under it.
Stages without tracing pass the trace's Root on and record nothing.

Metrics for every request of every stage: ``local.services.cloudwatch.service_metrics.api_request``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from local.services.apigateway.http1 import Request
from local.services.apigateway.models import LambdaTarget
from local.services.apigateway.routing import StageRoutes
from local.services.apigateway.snapshot import RouteRuntime
from local.services.cloudwatch import service_metrics
from local.services.cloudwatch.metrics import MetricPublisher
from local.services.xray import tracing
from local.services.xray.sampling import Sampler
from local.services.xray.tracing import IntegrationCall, TraceHeader


@dataclass(frozen=True, slots=True)
class StageTrace:
    header: TraceHeader  # the trace and the decision made
    segment_id: str
    call_id: str  # the subsegment of the call to the integration

    @property
    def downstream(self) -> str:
        """The X-Amzn-Trace-Id the integration gets."""
        return self.header.child(self.call_id).format()


@dataclass(frozen=True, slots=True)
class Integration:
    """The call to the integration, timed (perf_counter) for the stage's subsegment."""

    started: float
    ended: float
    lambda_target: LambdaTarget | None = None
    url: str | None = None
    method: str = "POST"

    @classmethod
    def of(cls, runtime: RouteRuntime, started: float, ended: float) -> Integration:
        integration = runtime.method.integration
        if runtime.lambda_target is not None or integration is None:
            return cls(started, ended, runtime.lambda_target)
        return cls(started, ended, None, integration.uri, integration.http_method or "ANY")


class GatewayTelemetry:
    def __init__(
        self,
        *,
        region: str,
        account_id: str,
        record: tracing.Recorder | None = None,
        sampler: Sampler | None = None,
        metrics: MetricPublisher | None = None,
    ) -> None:
        self.region = region
        self.account_id = account_id
        self.record = record
        self.sampler = sampler
        self.metrics = metrics

    def begin(self, routes: StageRoutes | None, root: str, request: Request) -> StageTrace | None:
        """The request's trace on a traced stage (``root``: the Root the gateway continues or drew)."""
        if routes is None or not routes.stage.tracing_enabled or self.record is None or self.sampler is None:
            return None
        incoming = TraceHeader.parse(request.headers.get("X-Amzn-Trace-Id"))
        header = incoming or TraceHeader(root.removeprefix("Root="))
        if header.sampled is None:
            service = f"{routes.api.name}/{routes.stage.name}"
            host = request.host.split(":", 1)[0]
            sampled = self.sampler.decide(
                service, request.method, request.path, host, "AWS::ApiGateway::Stage"
            )
            header = TraceHeader(header.root, header.parent, sampled, header.extra)
        return StageTrace(header, tracing.new_segment_id(), tracing.new_segment_id())

    def finished(
        self,
        routes: StageRoutes,
        trace: StageTrace | None,
        *,
        request_id: str,
        started: float,
        request: Request,
        status: int,
        integration: Integration | None,
    ) -> None:
        """Metrics for the request, and its segment when it was sampled."""
        now = time.perf_counter()
        if self.metrics is not None:
            self.metrics.add_all(
                service_metrics.api_request(
                    routes.api.name,
                    routes.stage.name,
                    status=status,
                    latency_ms=(now - started) * 1000,
                    integration_latency_ms=(integration.ended - integration.started) * 1000
                    if integration
                    else None,
                    timestamp=time.time(),
                )
            )
        if trace is None or not trace.header.sampled or self.record is None:
            return
        call = None
        if integration is not None:
            call = IntegrationCall(
                trace.call_id,
                tracing.wall_time(integration.started),
                tracing.wall_time(integration.ended),
                function_arn=self._function_arn(integration.lambda_target),
                url=integration.url,
                method=integration.method,
                status=status if integration.lambda_target is None else None,
            )
        self.record(
            [
                tracing.api_gateway_segment(
                    trace.header,
                    segment_id=trace.segment_id,
                    api_name=routes.api.name,
                    rest_api_id=routes.api.id,
                    stage=routes.stage.name,
                    account_id=self.account_id,
                    region=self.region,
                    request_id=request_id,
                    start=tracing.wall_time(started),
                    end=tracing.wall_time(now),
                    request=_xray_request(request),
                    status=status,
                    integration=call,
                )
            ]
        )

    def _function_arn(self, target: LambdaTarget | None) -> str | None:
        if target is None:
            return None
        name = target.function_name
        arn = (
            name
            if name.startswith("arn:")
            else f"arn:aws:lambda:{self.region}:{self.account_id}:function:{name}"
        )
        return f"{arn}:{target.qualifier}" if target.qualifier and arn.count(":") == 6 else arn


def _xray_request(request: Request) -> dict[str, str]:
    """The http.request block of the stage's segment (built only for a sampled request)."""
    fields = {
        "method": request.method,
        "url": f"{request.scheme}://{request.host}{request.target}",  # https by the HTTPS port
        "user_agent": request.headers.get("User-Agent"),
        "client_ip": request.remote,
    }
    return {key: value for key, value in fields.items() if value}
