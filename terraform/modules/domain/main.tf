# The API on its own name over HTTPS: a regional certificate (same region as the API), a REGIONAL
# custom domain that accepts TLS 1.2+ only, the stage mapped at /, and an A alias (a REGIONAL
# endpoint answers over IPv4 only, so an AAAA alias would resolve to nothing).
module "certificate" {
  source = "../certificate"

  domain_name = var.domain_name
  zone_id     = var.zone_id
}

resource "aws_api_gateway_domain_name" "this" {
  domain_name              = var.domain_name
  regional_certificate_arn = module.certificate.arn
  security_policy          = var.security_policy

  endpoint_configuration {
    types = ["REGIONAL"]
  }
}

resource "aws_api_gateway_base_path_mapping" "root" {
  api_id      = var.rest_api_id
  stage_name  = var.stage_name
  domain_name = aws_api_gateway_domain_name.this.domain_name
}

resource "aws_route53_record" "alias" {
  zone_id         = var.zone_id
  name            = aws_api_gateway_domain_name.this.domain_name
  type            = "A"
  allow_overwrite = var.allow_overwrite

  alias {
    name                   = aws_api_gateway_domain_name.this.regional_domain_name
    zone_id                = aws_api_gateway_domain_name.this.regional_zone_id
    evaluate_target_health = false
  }
}

# The A record was one of an A/AAAA pair (for_each) before the AAAA alias went.
moved {
  from = aws_route53_record.alias["A"]
  to   = aws_route53_record.alias
}
