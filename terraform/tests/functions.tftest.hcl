# The functions module: tracing, versions and live aliases, concurrency, the async trigger's retries
# and failure queue, least privilege, and the build manifest checks.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name_prefix  = "postcards-test"
  architecture = "arm64"
  runtime      = "python3.13"
  build = {
    dir          = "tests/fixtures/build/arm64"
    runtime      = "python3.13"
    architecture = "arm64"
    artifacts = {
      api    = { path = "api.zip", base64sha256 = "api-hash-v1=" }
      worker = { path = "worker.zip", base64sha256 = "worker-hash-v1=" }
      layer  = { path = "layer.zip", base64sha256 = "layer-hash-v1=" }
    }
  }
  functions = {
    api = {
      handler                 = "api.handler.lambda_handler"
      memory_mb               = 512
      timeout_s               = 10
      reserved_concurrency    = 20
      provisioned_concurrency = 3
      environment             = { TABLE = "t" }
      policy_statements = [
        { sid = "ReadTable", actions = ["dynamodb:GetItem"], resources = ["arn:aws:dynamodb:eu-west-1:123456789012:table/t"] },
      ]
    }
    worker = {
      handler   = "worker.handler.lambda_handler"
      memory_mb = 1024
      timeout_s = 60
      async     = { maximum_retry_attempts = 2, maximum_event_age_in_seconds = 3600 }
    }
  }
  common_environment = { TABLE = "common", SERVICE_VERSION = "9.9.9" }
}

run "functions_are_traced_and_built_from_the_manifest" {
  command = plan

  module {
    source = "./modules/functions"
  }

  assert {
    condition     = alltrue([for f in aws_lambda_function.this : f.tracing_config[0].mode == "Active"])
    error_message = "Every function must have active X-Ray tracing."
  }
  assert {
    condition = alltrue([
      aws_lambda_function.this["api"].source_code_hash == "api-hash-v1=",
      aws_lambda_function.this["api"].filename == "tests/fixtures/build/arm64/api.zip",
      aws_lambda_layer_version.dependencies.source_code_hash == "layer-hash-v1=",
      aws_lambda_function.this["api"].architectures == tolist(["arm64"]),
      aws_lambda_layer_version.dependencies.compatible_architectures == toset(["arm64"]),
    ])
    error_message = "Code, hashes and architecture must come from the build manifest."
  }
  assert {
    condition     = aws_lambda_function.this["api"].environment[0].variables == tomap({ TABLE = "t", SERVICE_VERSION = "9.9.9" })
    error_message = "A function's own environment must win over the common one."
  }
  assert {
    condition     = alltrue([for name, g in aws_cloudwatch_log_group.function : g.name == "/aws/lambda/postcards-test-${name}" && g.retention_in_days == 30])
    error_message = "Each function needs its /aws/lambda/<name> log group with retention."
  }
}

run "aliases_follow_the_published_version" {
  command = apply

  module {
    source = "./modules/functions"
  }

  assert {
    condition     = alltrue([for name, f in aws_lambda_function.this : f.publish && aws_lambda_alias.live[name].function_version == f.version && aws_lambda_alias.live[name].name == "live"])
    error_message = "Each function publishes versions and its live alias points at the latest."
  }
}

run "concurrency_settings_follow_the_inputs" {
  command = plan

  module {
    source = "./modules/functions"
  }

  assert {
    condition     = aws_lambda_function.this["api"].reserved_concurrent_executions == 20 && aws_lambda_function.this["worker"].reserved_concurrent_executions == -1
    error_message = "Reserved concurrency where asked; unreserved (-1) otherwise."
  }
  assert {
    condition     = keys(aws_lambda_provisioned_concurrency_config.live) == ["api"] && aws_lambda_provisioned_concurrency_config.live["api"].provisioned_concurrent_executions == 3 && aws_lambda_provisioned_concurrency_config.live["api"].qualifier == "live"
    error_message = "Provisioned concurrency only where asked (> 0), on the live alias."
  }
  assert {
    condition     = output.functions["api"].reserved_concurrency == 20 && output.functions["api"].provisioned_concurrency == 3 && output.functions["worker"].reserved_concurrency == null && output.functions["worker"].provisioned_concurrency == 0
    error_message = "The functions output must say each function's reserved (null: unreserved) and provisioned (0: none) concurrency."
  }
}

run "the_async_function_retries_and_keeps_failures" {
  command = plan

  module {
    source = "./modules/functions"
  }

  assert {
    condition = alltrue([
      keys(aws_lambda_function_event_invoke_config.live) == ["worker"],
      aws_lambda_function_event_invoke_config.live["worker"].maximum_retry_attempts == 2,
      aws_lambda_function_event_invoke_config.live["worker"].maximum_event_age_in_seconds == 3600,
      aws_lambda_function_event_invoke_config.live["worker"].qualifier == "live",
      keys(aws_sqs_queue.failures) == ["worker"],
      aws_sqs_queue.failures["worker"].sqs_managed_sse_enabled,
    ])
    error_message = "Only the async function gets retries, an event age limit and an encrypted on-failure queue."
  }

  assert {
    condition     = local.failure_queue_arns == { worker = "arn:aws:sqs:eu-west-1:123456789012:${aws_sqs_queue.failures["worker"].name}" }
    error_message = "The role policy names the failure queue by the ARN its name, region and account make."
  }
}

run "a_manifest_for_another_architecture_is_refused" {
  command = plan

  module {
    source = "./modules/functions"
  }

  variables {
    architecture = "x86_64"
  }

  expect_failures = [var.build]
}

run "wildcard_actions_are_refused" {
  command = plan

  module {
    source = "./modules/functions"
  }

  variables {
    functions = {
      api = {
        handler           = "api.handler.lambda_handler"
        memory_mb         = 512
        timeout_s         = 10
        policy_statements = [{ sid = "TooBroad", actions = ["dynamodb:*"], resources = ["*"] }]
      }
    }
  }

  expect_failures = [var.functions]
}

run "provisioned_beyond_reserved_is_refused" {
  command = plan

  module {
    source = "./modules/functions"
  }

  variables {
    functions = {
      api = {
        handler                 = "api.handler.lambda_handler"
        memory_mb               = 512
        timeout_s               = 10
        reserved_concurrency    = 2
        provisioned_concurrency = 5
      }
    }
  }

  expect_failures = [var.functions]
}

# Lambda keeps min(100, quota) unreserved: with the 1000 of an established account 900 can be
# reserved; in a new account (10) nothing.
run "reservations_within_the_quota_pass" {
  command = plan

  module {
    source = "./modules/functions"
  }

  variables {
    account_concurrency_quota = 1000
  }

  assert {
    condition     = aws_lambda_function.this["api"].reserved_concurrent_executions == 20
    error_message = "20 of 1000 leaves 980 unreserved: allowed."
  }
}

run "a_reservation_in_a_new_account_is_refused_at_plan" {
  command = plan

  module {
    source = "./modules/functions"
  }

  variables {
    account_concurrency_quota = 10
  }

  expect_failures = [aws_lambda_function.this]
}

run "provisioned_concurrency_counts_against_the_quota" {
  command = plan

  module {
    source = "./modules/functions"
  }

  variables {
    account_concurrency_quota = 102
    functions = {
      api = {
        handler                 = "api.handler.lambda_handler"
        memory_mb               = 512
        timeout_s               = 10
        provisioned_concurrency = 3
      }
    }
  }

  expect_failures = [aws_lambda_function.this]
}

run "a_reservation_up_to_quota_minus_100_passes" {
  command = plan

  module {
    source = "./modules/functions"
  }

  variables {
    account_concurrency_quota = 120
  }

  assert {
    condition     = aws_lambda_function.this["api"].reserved_concurrent_executions == 20
    error_message = "120 - 100 = 20 may be reserved, exactly what api takes."
  }
}

run "nothing_reserved_needs_no_quota" {
  command = plan

  module {
    source = "./modules/functions"
  }

  variables {
    account_concurrency_quota = 10
    functions = {
      api = {
        handler   = "api.handler.lambda_handler"
        memory_mb = 512
        timeout_s = 10
      }
    }
  }

  assert {
    condition     = aws_lambda_function.this["api"].reserved_concurrent_executions == -1
    error_message = "A function without reservations uses the unreserved pool, whatever the quota."
  }
}
