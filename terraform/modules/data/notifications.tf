# A finished browser upload triggers the thumbnail function's live alias (asynchronously, with the
# retries and on-failure queue set in the functions module).
data "aws_caller_identity" "current" {}

resource "aws_lambda_permission" "media_invokes_upload_handler" {
  statement_id   = "AllowMediaBucketObjectCreated"
  action         = "lambda:InvokeFunction"
  function_name  = var.upload_handler.function_name
  qualifier      = var.upload_handler.alias_name
  principal      = "s3.amazonaws.com"
  source_arn     = module.media_bucket.arn
  source_account = data.aws_caller_identity.current.account_id
}

resource "aws_s3_bucket_notification" "media" {
  bucket = module.media_bucket.id

  lambda_function {
    id                  = "thumbnail-on-upload"
    lambda_function_arn = var.upload_handler.alias_arn
    events              = ["s3:ObjectCreated:*"]
    filter_prefix       = "uploads/"
  }

  depends_on = [aws_lambda_permission.media_invokes_upload_handler]
}
