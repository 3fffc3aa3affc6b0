terraform {
  # 1.9: validation blocks may reference other variables; 1.7: mock_provider in terraform test.
  required_version = ">= 1.9.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}
