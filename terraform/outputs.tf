# --- for people --------------------------------------------------------------------------------

output "site_url" {
  description = "The site (CloudFront, custom domain)."
  value       = module.site.url
}

output "api_url" {
  description = "The API on its custom domain (HTTPS, TLS 1.2+)."
  value       = module.domain.url
}

output "execute_api_url" {
  description = "The API's own execute-api URL (the stage), bypassing the custom domain."
  value       = module.api.invoke_url
}

output "container_api_url" {
  description = "The existing container API, as written to the site's config.json (also reachable at <api_url>/legacy/...)."
  value       = var.container_api_url
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the stack."
  value       = module.observability.dashboard_name
}

output "alarm_topic_arn" {
  description = "SNS topic every alarm notifies (subscribe to it)."
  value       = module.observability.alarm_topic_arn
}

output "chaos_experiment_template_ids" {
  description = "FIS experiment template ids (AddDelay, InjectErrors) when chaos_enabled, else null."
  value       = one(module.chaos[*].experiment_template_ids)
}

# --- for tools (the local cloud, tests, scripts) -------------------------------------------------

output "functions" {
  description = "Per function (postcards, thumbnails, housekeeping): name, ARN, published version, live alias name and ARN, role, log group."
  value       = module.functions.functions
}

output "function_names" {
  description = "Function names by short name."
  value       = { for key, f in module.functions.functions : key => f.name }
}

output "function_arns" {
  description = "Function ARNs by short name."
  value       = { for key, f in module.functions.functions : key => f.arn }
}

output "layer_version_arn" {
  description = "ARN of the dependencies layer version."
  value       = module.functions.layer_version_arn
}

output "failure_queues" {
  description = "On-failure queues of the asynchronously invoked functions."
  value       = module.functions.failure_queues
}

output "rest_api_id" {
  description = "ID of the REST API."
  value       = module.api.rest_api_id
}

output "api_stage_name" {
  description = "Stage the custom domain maps to /."
  value       = module.api.stage_name
}

output "api_log_groups" {
  description = "The API's CloudWatch log groups: access logs and execution logs (API Gateway's own name, created by Terraform so it has a retention and goes with destroy)."
  value       = { access = module.api.access_log_group, execution = module.api.execution_log_group }
}

output "cursor_signing_key_parameter" {
  description = "Name of the SSM SecureString holding the cursor signing key (the value is never in the state)."
  value       = aws_ssm_parameter.cursor_signing_key.name
}

output "api_domain_name" {
  description = "The API's custom domain name."
  value       = module.domain.domain_name
}

output "openapi_document" {
  description = "Path of the OpenAPI document the API is built from (relative to the terraform folder)."
  value       = "modules/api/openapi.yaml"
}

output "tables" {
  description = "DynamoDB table names and ARNs: postcards, uploads, idempotency."
  value       = module.data.tables
}

output "media_bucket" {
  description = "Name of the media bucket (uploads/, thumbnails/)."
  value       = module.data.media_bucket.name
}

output "site_bucket" {
  description = "Name of the site bucket."
  value       = module.site.bucket_name
}

output "distribution_id" {
  description = "ID of the CloudFront distribution."
  value       = module.site.distribution_id
}

output "distribution_domain_name" {
  description = "The distribution's *.cloudfront.net name."
  value       = module.site.distribution_domain_name
}

output "site_security_headers" {
  description = "The security headers (CSP, HSTS, ...) the site is served with; stand-ins without response headers policies apply these."
  value       = module.site.security_headers
}

output "hosted_zone_id" {
  description = "Route53 zone holding the API and site records."
  value       = local.zone_id
}

output "schedule_rule_name" {
  description = "EventBridge rule that runs housekeeping."
  value       = module.schedule.rule_name
}

output "api_openapi_sha1" {
  description = "SHA-1 of the rendered OpenAPI body; a new value means a new API deployment."
  value       = module.api.body_sha1
}

output "browser_urls" {
  description = "What browsers use: the site origin (CORS, thumbnails) and the API URL in config.json; differ from site_url/api_url only where public_site_url/public_api_url say so (the local cloud)."
  value = {
    site_origin    = local.site_origin
    api_url        = local.api_url
    media_base_url = "${local.site_origin}/media"
  }
}
