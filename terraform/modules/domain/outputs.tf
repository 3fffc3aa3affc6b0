output "url" {
  description = "Base URL of the API on its custom domain."
  value       = "https://${aws_api_gateway_domain_name.this.domain_name}"
}

output "domain_name" {
  description = "The custom domain name."
  value       = aws_api_gateway_domain_name.this.domain_name
}

output "regional_domain_name" {
  description = "The regional endpoint the alias records point at."
  value       = aws_api_gateway_domain_name.this.regional_domain_name
}

output "certificate_arn" {
  description = "ARN of the regional certificate."
  value       = module.certificate.arn
}
