resource "aws_route53_record" "alias" {
  for_each = { for pair in setproduct(var.domain_names, ["A", "AAAA"]) : "${pair[0]} ${pair[1]}" => { name = pair[0], type = pair[1] } }

  zone_id         = var.zone_id
  name            = each.value.name
  type            = each.value.type
  allow_overwrite = var.dns_allow_overwrite

  alias {
    name                   = aws_cloudfront_distribution.site.domain_name
    zone_id                = aws_cloudfront_distribution.site.hosted_zone_id
    evaluate_target_health = false
  }
}
