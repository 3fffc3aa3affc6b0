# Security headers on every site response. The CSP lets scripts talk to exactly the origins the site
# needs (the two APIs and the media upload endpoint) and nothing else, and upgrades any http:// URL.
locals {
  content_security_policy = join("; ", [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src ${join(" ", concat(["'self'"], var.connect_origins))}",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "object-src 'none'",
    "upgrade-insecure-requests",
  ])

  security_headers = {
    "Content-Security-Policy"   = local.content_security_policy
    "Strict-Transport-Security" = "max-age=63072000; includeSubDomains; preload"
    "X-Content-Type-Options"    = "nosniff"
    "X-Frame-Options"           = "DENY"
    "Referrer-Policy"           = "strict-origin-when-cross-origin"
    "Permissions-Policy"        = "camera=(), microphone=(), geolocation=(), payment=()"
  }
}

resource "aws_cloudfront_response_headers_policy" "security" {
  count = var.response_headers_policy_enabled ? 1 : 0

  name    = "${var.name_prefix}-security-headers"
  comment = "CSP, HSTS and friends for the ${var.name_prefix} site"

  security_headers_config {
    content_security_policy {
      content_security_policy = local.content_security_policy
      override                = true
    }

    strict_transport_security {
      access_control_max_age_sec = 63072000
      include_subdomains         = true
      preload                    = true
      override                   = true
    }

    content_type_options {
      override = true
    }

    frame_options {
      frame_option = "DENY"
      override     = true
    }

    referrer_policy {
      referrer_policy = "strict-origin-when-cross-origin"
      override        = true
    }

    xss_protection {
      protection = true
      mode_block = true
      override   = true
    }
  }

  custom_headers_config {
    items {
      header   = "Permissions-Policy"
      value    = local.security_headers["Permissions-Policy"]
      override = true
    }
  }
}
