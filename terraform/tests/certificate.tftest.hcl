# ACM gives an apex and its wildcard the same validation record: exactly one record must be made.

mock_provider "aws" {
  source = "./tests/mocks"
}

run "apex_and_wildcard_share_one_validation_record" {
  command = apply

  module {
    source = "./modules/certificate"
  }

  variables {
    domain_name               = "example.com"
    subject_alternative_names = ["*.example.com", "www.example.com"]
    zone_id                   = "Z0TESTZONE0000000000"
  }

  override_resource {
    target = aws_acm_certificate.this
    values = {
      arn = "arn:aws:acm:eu-west-1:123456789012:certificate/apex-and-wildcard"
      domain_validation_options = [
        { domain_name = "example.com", resource_record_name = "_x.example.com.", resource_record_type = "CNAME", resource_record_value = "_y.acm-validations.aws." },
        { domain_name = "*.example.com", resource_record_name = "_x.example.com.", resource_record_type = "CNAME", resource_record_value = "_y.acm-validations.aws." },
        { domain_name = "www.example.com", resource_record_name = "_w.www.example.com.", resource_record_type = "CNAME", resource_record_value = "_z.acm-validations.aws." },
      ]
    }
  }

  assert {
    condition     = toset(keys(aws_route53_record.validation)) == toset(["example.com", "www.example.com"])
    error_message = "The wildcard must fold onto its apex: one record per distinct name."
  }
  assert {
    condition     = aws_route53_record.validation["example.com"].name == "_x.example.com." && aws_route53_record.validation["example.com"].records == toset(["_y.acm-validations.aws."]) && aws_route53_record.validation["example.com"].allow_overwrite
    error_message = "The shared record must carry ACM's name and value and may take over an existing record."
  }
  assert {
    condition     = length(aws_acm_certificate_validation.this.validation_record_fqdns) == 2
    error_message = "Validation must wait for every distinct record."
  }
}
