data "aws_caller_identity" "current" {}
data "aws_region" "current" {
  lifecycle {
    # var.region is validated where it is set; a region from the environment (AWS_REGION, profile)
    # is only known here.
    postcondition {
      condition     = can(regex("^[a-z]{2}-[a-z]+-[0-9]$", self.name)) && !startswith(self.name, "cn-")
      error_message = "The region ${self.name} is not in the commercial aws partition: GovCloud and China cannot use the us-east-1 certificate CloudFront needs. Pick another region (var.region or AWS_REGION)."
    }
  }
}

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

# The postcards function signs pagination cursors with this HMAC key, read once per execution
# environment from SSM (functions/postcards/signing_key.py). The value is write-only (value_wo,
# Terraform >= 1.11): it is sent only when cursor_signing_key_version changes and is never stored in
# the plan or the state. Unless the user gives one, it is drawn at that apply from uuid() (two v4
# UUIDs from crypto/rand: 244 random bits; only the aws provider is allowed, so no random provider).
resource "aws_ssm_parameter" "cursor_signing_key" {
  name             = "/${var.project}/${var.environment}/cursor-signing-key"
  description      = "HMAC key of the postcards API's pagination cursors"
  type             = "SecureString"
  value_wo         = coalesce(var.cursor_signing_key, sha256("${uuid()}${uuid()}"))
  value_wo_version = var.cursor_signing_key_version
  #checkov:skip=CKV_AWS_337:The AWS-managed aws/ssm key: the function role reads it without a key policy of ours; a customer-managed key costs $1 a month for one small secret.
}

# --- Lambda concurrency --------------------------------------------------------------------------

locals {
  # What the functions take out of the account's pool: a reservation, or else provisioned
  # concurrency (which comes out of the unreserved pool when nothing is reserved).
  committed_concurrency = sum(concat([0], [
    for name in local.function_keys :
    lookup(var.reserved_concurrency, name, null) != null ? var.reserved_concurrency[name] : lookup(var.provisioned_concurrency, name, 0)
  ]))
  read_concurrency_quota = var.lambda_concurrency_quota == null && local.committed_concurrency > 0
}

# Only asked for when something is reserved (needs servicequotas:GetServiceQuota).
data "aws_servicequotas_service_quota" "lambda_concurrency" {
  count = local.read_concurrency_quota ? 1 : 0

  service_code = "lambda"
  quota_code   = "L-B99A9384" # Concurrent executions
}

locals {
  lambda_concurrency_quota = local.committed_concurrency == 0 ? null : coalesce(var.lambda_concurrency_quota, one(data.aws_servicequotas_service_quota.lambda_concurrency[*].value))
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
