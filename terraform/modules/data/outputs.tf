output "tables" {
  description = "Table names and ARNs: postcards, uploads, idempotency."
  value = {
    for key, t in {
      postcards   = aws_dynamodb_table.postcards
      uploads     = aws_dynamodb_table.uploads
      idempotency = aws_dynamodb_table.idempotency
    } : key => { name = t.name, arn = t.arn }
  }
}

output "media_bucket" {
  description = "The media bucket: name, ARN and regional domain name (the CloudFront origin)."
  value = {
    name                 = module.media_bucket.id
    arn                  = module.media_bucket.arn
    regional_domain_name = module.media_bucket.regional_domain_name
  }
}
