# One root for AWS and the local cloud. The endpoint itself comes from the AWS_ENDPOINT_URL environment
# variable, which the provider's SDK honours for every service; var.local_endpoint only switches on the
# flags a moto-backed endpoint needs (no STS credential check, no instance metadata, path-style S3).
locals {
  is_local = var.local_endpoint != null
  # TLS-only bucket policy statements (aws:SecureTransport). The local control plane cannot evaluate
  # policy conditions: moto applies a Deny whatever its Condition says, and would refuse every request.
  enforce_secure_transport = !local.is_local

  default_tags = merge(var.tags, {
    Project     = var.project
    Environment = var.environment
    ManagedBy   = "terraform"
  })
}

provider "aws" {
  region = var.region

  skip_credentials_validation = local.is_local
  skip_metadata_api_check     = local.is_local
  skip_requesting_account_id  = local.is_local
  s3_use_path_style           = local.is_local

  default_tags {
    tags = local.default_tags
  }
}

# CloudFront only accepts ACM certificates from us-east-1, whatever region the rest lives in.
provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"

  skip_credentials_validation = local.is_local
  skip_metadata_api_check     = local.is_local
  skip_requesting_account_id  = local.is_local
  s3_use_path_style           = local.is_local

  default_tags {
    tags = local.default_tags
  }
}
