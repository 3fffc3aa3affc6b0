# CloudFront takes certificates from us-east-1 only, whatever region the stack is in.
module "certificate" {
  source = "../certificate"
  providers = {
    aws = aws.us_east_1
  }

  domain_name               = var.domain_names[0]
  subject_alternative_names = slice(var.domain_names, 1, length(var.domain_names))
  zone_id                   = var.zone_id
}
