# Schemas: docs/architecture.md ("Data"). On-demand billing costs nothing at rest, which suits a
# service whose traffic is unknown; tables are encrypted with the AWS-managed DynamoDB key.
resource "aws_dynamodb_table" "postcards" {
  name         = "${var.name_prefix}-postcards"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "id"
  #checkov:skip=CKV_AWS_119:Encrypted with the AWS-managed key (aws/dynamodb); a customer-managed key costs per month and per request.

  attribute {
    name = "id"
    type = "S"
  }
  attribute {
    name = "feed"
    type = "S"
  }
  attribute {
    name = "feed_key"
    type = "S"
  }

  # The feed is a Query on this index, newest first; never a Scan.
  global_secondary_index {
    name            = "feed-index"
    hash_key        = "feed"
    range_key       = "feed_key"
    projection_type = "ALL"
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  server_side_encryption {
    enabled = true
  }
}

resource "aws_dynamodb_table" "uploads" {
  name         = "${var.name_prefix}-uploads"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "id"
  #checkov:skip=CKV_AWS_119:Encrypted with the AWS-managed key (aws/dynamodb); a customer-managed key costs per month and per request.

  attribute {
    name = "id"
    type = "S"
  }
  attribute {
    name = "status"
    type = "S"
  }
  attribute {
    name = "created_at"
    type = "S"
  }

  # Housekeeping finds pending/failed uploads by age without scanning.
  global_secondary_index {
    name            = "status-index"
    hash_key        = "status"
    range_key       = "created_at"
    projection_type = "ALL"
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  server_side_encryption {
    enabled = true
  }
}

# Powertools idempotency records; DynamoDB's TTL deletes expired ones for free.
resource "aws_dynamodb_table" "idempotency" {
  name         = "${var.name_prefix}-idempotency"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "id"
  #checkov:skip=CKV_AWS_119:Encrypted with the AWS-managed key (aws/dynamodb); a customer-managed key costs per month and per request.

  attribute {
    name = "id"
    type = "S"
  }

  ttl {
    attribute_name = "expiration"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  server_side_encryption {
    enabled = true
  }
}
