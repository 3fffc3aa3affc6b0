output "rest_api_id" {
  description = "ID of the REST API."
  value       = aws_api_gateway_rest_api.this.id
}

output "execution_arn" {
  description = "Execution ARN of the REST API (prefix of invoke permissions)."
  value       = aws_api_gateway_rest_api.this.execution_arn
}

output "stage_name" {
  description = "Name of the stage."
  value       = aws_api_gateway_stage.this.stage_name
}

output "stage_arn" {
  description = "ARN of the stage."
  value       = aws_api_gateway_stage.this.arn
}

output "invoke_url" {
  description = "execute-api URL of the stage (no trailing slash)."
  value       = trimsuffix(aws_api_gateway_stage.this.invoke_url, "/")
}

output "deployment_id" {
  description = "ID of the deployment the stage serves."
  value       = aws_api_gateway_deployment.this.id
}

output "body_sha1" {
  description = "SHA-1 of the rendered OpenAPI body: a new value means a new deployment."
  value       = sha1(local.body)
}

output "access_log_group" {
  description = "Name of the access log group."
  value       = aws_cloudwatch_log_group.access.name
}

output "execution_log_group" {
  description = "Name of the execution log group (API Gateway's own name for it, created by Terraform)."
  value       = aws_cloudwatch_log_group.execution.name
}
