# One page: API traffic, errors and latency; per function invocations, errors, throttles, duration,
# concurrency and cold starts (init duration shows in the logs; ConcurrentExecutions shows scaling).
locals {
  region         = data.aws_region.current.name
  api_dimensions = ["ApiName", var.api.name, "Stage", var.api.stage_name]

  function_widgets = [
    for metric in ["Invocations", "Errors", "Throttles", "Duration", "ConcurrentExecutions"] : {
      type   = "metric"
      width  = 12
      height = 6
      properties = {
        title   = "Lambda ${metric}"
        region  = local.region
        view    = "timeSeries"
        stat    = metric == "Duration" ? "p99" : (metric == "ConcurrentExecutions" ? "Maximum" : "Sum")
        period  = 60
        metrics = [for name in values(var.function_names) : ["AWS/Lambda", metric, "FunctionName", name]]
      }
    }
  ]

  api_widgets = [
    {
      type   = "metric"
      width  = 12
      height = 6
      properties = {
        title   = "API requests and errors"
        region  = local.region
        view    = "timeSeries"
        stat    = "Sum"
        period  = 60
        metrics = [for m in ["Count", "4XXError", "5XXError"] : concat(["AWS/ApiGateway", m], local.api_dimensions)]
      }
    },
    {
      type   = "metric"
      width  = 12
      height = 6
      properties = {
        title  = "API latency"
        region = local.region
        view   = "timeSeries"
        period = 60
        metrics = [
          concat(["AWS/ApiGateway", "Latency"], local.api_dimensions, [{ stat = "p50" }]),
          concat(["AWS/ApiGateway", "Latency"], local.api_dimensions, [{ stat = "p99" }]),
          concat(["AWS/ApiGateway", "IntegrationLatency"], local.api_dimensions, [{ stat = "p99" }]),
        ]
      }
    },
  ]
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.name
  dashboard_body = jsonencode({ widgets = concat(local.api_widgets, local.function_widgets) })
}
