locals {
  # AWS-managed cache policies (fixed ids, the same in every account): long TTLs for files, none for
  # config.json's path is handled by its Cache-Control header instead.
  caching_optimized_policy_id = "658327ea-f89d-4fab-a63d-7e88639e58f6"

  site_origin_id  = "site"
  media_origin_id = "media"
}

resource "aws_cloudfront_origin_access_control" "s3" {
  name                              = "${var.name_prefix}-s3"
  description                       = "CloudFront signs its requests to the site and media buckets"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

resource "aws_cloudfront_function" "strip_media_prefix" {
  name    = "${var.name_prefix}-strip-media-prefix"
  comment = "Maps /media/<key> to the media bucket's <key>"
  runtime = "cloudfront-js-2.0"
  code    = file("${path.module}/cloudfront-functions/strip-media-prefix.js")
  publish = var.publish_functions
}

resource "aws_cloudfront_distribution" "site" {
  comment             = "${var.name_prefix} site"
  enabled             = true
  aliases             = var.domain_names
  default_root_object = "index.html"
  http_version        = "http2and3"
  is_ipv6_enabled     = true
  price_class         = var.price_class
  wait_for_deployment = var.wait_for_deployment
  #checkov:skip=CKV_AWS_68:WAF costs about $6 a month at rest; the site is static files and the API throttles on its own.
  #checkov:skip=CKV2_AWS_47:No WAF (see CKV_AWS_68), so no Log4j rule; nothing here runs Java.
  #checkov:skip=CKV_AWS_86:Standard logs need an ACL-enabled log bucket; CloudFront's own metrics suffice for a static site.
  #checkov:skip=CKV_AWS_310:One origin per path: a failover origin would be a second copy of the site bucket.
  #checkov:skip=CKV_AWS_374:The site is for everyone; no geo restriction.
  #checkov:skip=CKV2_AWS_32:The security headers policy is attached (headers.tf); it is optional only for the local cloud, which lacks the API.

  origin {
    origin_id                = local.site_origin_id
    domain_name              = module.bucket.regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.s3.id
  }

  origin {
    origin_id                = local.media_origin_id
    domain_name              = var.media_bucket.regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.s3.id
  }

  default_cache_behavior {
    target_origin_id           = local.site_origin_id
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD", "OPTIONS"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = local.caching_optimized_policy_id
    response_headers_policy_id = one(aws_cloudfront_response_headers_policy.security[*].id)
  }

  # Thumbnails from the media bucket; the function drops the /media prefix (see its source).
  ordered_cache_behavior {
    path_pattern               = "/media/*"
    target_origin_id           = local.media_origin_id
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = local.caching_optimized_policy_id
    response_headers_policy_id = one(aws_cloudfront_response_headers_policy.security[*].id)

    function_association {
      event_type   = "viewer-request"
      function_arn = aws_cloudfront_function.strip_media_prefix.arn
    }
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    acm_certificate_arn      = module.certificate.arn
    ssl_support_method       = "sni-only"
    minimum_protocol_version = "TLSv1.2_2021"
  }
}
