output "url" {
  description = "The site's canonical URL."
  value       = "https://${var.domain_names[0]}"
}

output "bucket_name" {
  description = "Name of the site bucket."
  value       = module.bucket.id
}

output "distribution_id" {
  description = "ID of the CloudFront distribution."
  value       = aws_cloudfront_distribution.site.id
}

output "distribution_arn" {
  description = "ARN of the CloudFront distribution."
  value       = aws_cloudfront_distribution.site.arn
}

output "distribution_domain_name" {
  description = "The distribution's own domain (*.cloudfront.net)."
  value       = aws_cloudfront_distribution.site.domain_name
}

output "origin_access_control_id" {
  description = "ID of the Origin Access Control both bucket origins use."
  value       = aws_cloudfront_origin_access_control.s3.id
}

output "certificate_arn" {
  description = "ARN of the us-east-1 certificate."
  value       = module.certificate.arn
}

output "content_security_policy" {
  description = "The Content-Security-Policy the site is served with."
  value       = local.content_security_policy
}

output "security_headers" {
  description = "Every security header the site is served with (for stand-ins that lack response headers policies)."
  value       = local.security_headers
}

output "uploaded_files" {
  description = "Keys of the objects uploaded to the site bucket."
  value       = concat(sort(keys(aws_s3_object.site_file)), [aws_s3_object.config.key])
}

output "distribution_wait_for_deployment" {
  description = "Whether terraform apply waits for the distribution to be Deployed (always on AWS)."
  value       = aws_cloudfront_distribution.site.wait_for_deployment
}
