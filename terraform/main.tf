data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

locals {
  name       = "${var.project}-${var.environment}"
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name

  api_domain   = "api.${var.domain_name}"
  site_domains = concat(["www.${var.domain_name}"], var.site_include_apex ? [var.domain_name] : [])
  # What browsers use; the local cloud overrides both (HTTPS on its own port).
  site_origin = coalesce(var.public_site_url, "https://${local.site_domains[0]}")
  api_url     = coalesce(var.public_api_url, "https://${local.api_domain}")

  # The container API's origin (scheme and host) for the site's CSP.
  container_api_origin = regex("^(https?://[^/]+)", var.container_api_url)[0]

  # The functions (folders under functions/); the per-function variables are keyed by these names.
  function_keys  = ["postcards", "thumbnails", "housekeeping"]
  function_names = { for name in local.function_keys : name => "${local.name}-${name}" }
  alias_name     = "live"
}

# --- build manifest (build.sh) -------------------------------------------------------------------

locals {
  artifacts_dir = coalesce(var.artifacts_dir, "${path.root}/../build/${var.architecture}")
  # A missing manifest becomes an empty one, which the functions module rejects with the command to run.
  manifest = try(jsondecode(file("${local.artifacts_dir}/manifest.json")), { runtime = "", architecture = "", artifacts = {} })
  build = {
    dir          = local.artifacts_dir
    runtime      = local.manifest.runtime
    architecture = local.manifest.architecture
    artifacts    = { for name, a in local.manifest.artifacts : name => { path = a.path, base64sha256 = a.base64sha256 } }
  }
}

# --- cursor signing key --------------------------------------------------------------------------

# The postcards function signs pagination cursors with this HMAC key. Only the aws provider is
# allowed (no random provider), so the key is drawn once from uuid() (two v4 UUIDs: 244 random bits)
# and frozen: ignore_changes keeps the first value, so plans never churn; -replace rotates it.
resource "terraform_data" "cursor_signing_key" {
  input = sha256("${uuid()}${uuid()}")

  lifecycle {
    ignore_changes = [input]
  }
}

# --- DNS -----------------------------------------------------------------------------------------

locals {
  # null = auto: the local cloud starts empty, so the zone is created there; on AWS it must exist
  # already (it carries the domain's NS delegation), so it is looked up.
  create_hosted_zone = var.hosted_zone_id == null && coalesce(var.create_hosted_zone, local.is_local)
  lookup_hosted_zone = var.hosted_zone_id == null && !local.create_hosted_zone
}

resource "aws_route53_zone" "this" {
  count = local.create_hosted_zone ? 1 : 0

  name          = var.domain_name
  comment       = "${local.name} (created by Terraform)"
  force_destroy = true
  #checkov:skip=CKV2_AWS_38:DNSSEC signing needs a KMS key in us-east-1 and a DS record at the registrar; left to the domain owner.
  #checkov:skip=CKV2_AWS_39:Query logging costs per query and needs a us-east-1 log group; not worth it for this zone.
}

data "aws_route53_zone" "this" {
  count = local.lookup_hosted_zone ? 1 : 0

  name         = var.domain_name
  private_zone = false
}

locals {
  zone_id = coalesce(var.hosted_zone_id, one(aws_route53_zone.this[*].zone_id), one(data.aws_route53_zone.this[*].zone_id))
}
