# One layer for the third-party libraries of every function (Powertools, X-Ray SDK, Pillow). A new
# layer version is published only when the zip's hash changes, and that in turn moves the functions.
resource "aws_lambda_layer_version" "dependencies" {
  layer_name               = "${var.name_prefix}-dependencies"
  description              = "Third-party Python libraries of the ${var.name_prefix} functions"
  filename                 = "${var.build.dir}/${var.build.artifacts["layer"].path}"
  source_code_hash         = var.build.artifacts["layer"].base64sha256
  compatible_runtimes      = [var.runtime]
  compatible_architectures = [var.architecture]
}
