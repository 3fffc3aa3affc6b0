# What a function needs for FIS's Lambda actions: the AWS-published extension layer for its
# architecture (pinned by var.layer_arn, else the public SSM parameter's latest 1.x), the wrapper
# that puts the extension in front of the handler, and the S3 location where FIS writes the active
# faults for the extension to poll.
# The parameter moves when AWS ships a new version, and with it the function's layers: a new version
# and live alias (and provisioned concurrency) on an unrelated apply. Pinning avoids that.
data "aws_ssm_parameter" "fis_extension" {
  count = var.layer_arn == null ? 1 : 0

  name = "/aws/service/fis/lambda-extension/AWS-FIS-extension-${var.architecture}/1.x.x"
}

locals {
  config_prefix = "FisConfigs"
}

module "config_bucket" {
  source = "../private_bucket"
  #checkov:skip=CKV_AWS_18:Holds only short-lived fault configurations written by FIS.
  #checkov:skip=CKV_AWS_144:Fault configurations are transient; nothing to replicate.
  #checkov:skip=CKV_AWS_145:SSE-S3 suffices for fault configurations; KMS would need grants for FIS and the extension.
  #checkov:skip=CKV2_AWS_62:Nothing reacts to fault configurations; the extension polls them.
  #checkov:skip=CKV_AWS_21:Fault configurations are rewritten on every experiment; old versions have no value.

  name                    = "${var.name_prefix}-fis-${var.bucket_suffix}"
  force_destroy           = true
  versioning              = false
  deny_insecure_transport = var.deny_insecure_transport
}

resource "aws_s3_bucket_lifecycle_configuration" "config" {
  bucket = module.config_bucket.id

  rule {
    id     = "expire-stale-configs"
    status = "Enabled"

    # The bucket holds nothing but fault configurations.
    filter {}

    expiration {
      days = 7
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}
