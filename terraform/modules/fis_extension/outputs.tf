output "layer_arn" {
  description = "ARN of the AWS FIS Lambda extension layer for the architecture."
  value       = coalesce(var.layer_arn, one(data.aws_ssm_parameter.fis_extension[*].insecure_value))
}

output "function_environment" {
  description = "Environment variables a function needs for the extension."
  value = {
    AWS_LAMBDA_EXEC_WRAPPER        = "/opt/aws-fis/bootstrap"
    AWS_FIS_CONFIGURATION_LOCATION = "${module.config_bucket.arn}/${local.config_prefix}/"
  }
}

output "function_policy_statements" {
  description = "Statements a function's role needs to read its fault configurations."
  value = [
    {
      sid        = "ListFaultConfigurations"
      actions    = ["s3:ListBucket"]
      resources  = [module.config_bucket.arn]
      conditions = [{ test = "StringLike", variable = "s3:prefix", values = ["${local.config_prefix}/*"] }]
    },
    {
      sid        = "ReadFaultConfigurations"
      actions    = ["s3:GetObject"]
      resources  = ["${module.config_bucket.arn}/${local.config_prefix}/*"]
      conditions = []
    },
  ]
}

output "config_bucket" {
  description = "Name and ARN of the bucket FIS writes fault configurations to, and the key prefix."
  value = {
    name   = module.config_bucket.id
    arn    = module.config_bucket.arn
    prefix = local.config_prefix
  }
}
