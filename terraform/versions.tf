terraform {
  # 1.11: write-only attributes (the cursor key's value_wo); 1.10: ephemeral resources and
  # variables; 1.9: validation blocks may reference other variables; 1.7: mock_provider in tests.
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}
