output "arn" {
  description = "ARN of the issued certificate (available once validation completed)."
  value       = aws_acm_certificate_validation.this.certificate_arn
}

output "domain_names" {
  description = "Every name on the certificate."
  value       = concat([var.domain_name], var.subject_alternative_names)
}

output "validation_record_fqdns" {
  description = "The DNS validation records, one per distinct name (wildcards share their apex's)."
  value       = [for r in aws_route53_record.validation : r.fqdn]
}
