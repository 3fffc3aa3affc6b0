# An ACM certificate validated through DNS records in Route53. The region is the provider's: the
# caller passes its us-east-1 alias for CloudFront and its default provider for a regional API.
resource "aws_acm_certificate" "this" {
  domain_name               = var.domain_name
  subject_alternative_names = var.subject_alternative_names
  validation_method         = "DNS"

  options {
    certificate_transparency_logging_preference = "ENABLED"
  }

  # A replacement (new names) must be issued and attached before the old one can be deleted.
  lifecycle {
    create_before_destroy = true
  }
}

locals {
  # ACM asks for the same CNAME for a wildcard and its apex (*.example.com and example.com): one
  # record per distinct name, or the second create fails. Keys come from the configuration (record
  # names exist only once the certificate does, and for_each keys must be known at plan), with each
  # wildcard folded onto its apex.
  validation_names = toset([for name in concat([var.domain_name], var.subject_alternative_names) : trimprefix(name, "*.")])
  validation_records = {
    for name in local.validation_names : name => one(distinct([
      for dvo in aws_acm_certificate.this.domain_validation_options : {
        name  = dvo.resource_record_name
        type  = dvo.resource_record_type
        value = dvo.resource_record_value
      } if trimprefix(dvo.domain_name, "*.") == name
    ]))
  }
}

resource "aws_route53_record" "validation" {
  for_each = local.validation_records

  zone_id = var.zone_id
  name    = each.value.name
  type    = each.value.type
  records = [each.value.value]
  ttl     = 300

  # The CNAME is the same for every certificate of this name in this account: a record left by an
  # earlier certificate (or another stack) is taken over instead of failing the apply.
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "this" {
  certificate_arn         = aws_acm_certificate.this.arn
  validation_record_fqdns = [for r in aws_route53_record.validation : r.fqdn]

  timeouts {
    create = var.validation_timeout
  }
}
