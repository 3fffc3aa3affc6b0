# The site's files from the repository, each with its content type, plus the generated config.json.
locals {
  content_types = {
    html        = "text/html; charset=utf-8"
    css         = "text/css; charset=utf-8"
    js          = "text/javascript; charset=utf-8"
    mjs         = "text/javascript; charset=utf-8"
    json        = "application/json"
    map         = "application/json"
    webmanifest = "application/manifest+json"
    svg         = "image/svg+xml"
    png         = "image/png"
    jpg         = "image/jpeg"
    jpeg        = "image/jpeg"
    gif         = "image/gif"
    webp        = "image/webp"
    avif        = "image/avif"
    ico         = "image/x-icon"
    txt         = "text/plain; charset=utf-8"
    xml         = "application/xml"
    woff        = "font/woff"
    woff2       = "font/woff2"
  }

  # fileset() of a missing folder is empty, so a repository without site/ deploys config.json only.
  # config.json is always Terraform's own (a copy in site/ is ignored).
  site_files = {
    for file in fileset(var.site_dir, "**") : file => {
      source       = "${var.site_dir}/${file}"
      content_type = lookup(local.content_types, lower(try(regex("\\.([^./]+)$", file)[0], "")), "application/octet-stream")
      # HTML must be revalidated so a deploy shows at once; other files are not fingerprinted either,
      # so they are cached for minutes, not days.
      cache_control = endswith(file, ".html") ? "no-cache" : "public, max-age=300"
    } if file != "config.json"
  }
}

resource "aws_s3_object" "site_file" {
  for_each = local.site_files

  bucket        = module.bucket.id
  key           = each.key
  source        = each.value.source
  etag          = filemd5(each.value.source)
  content_type  = each.value.content_type
  cache_control = each.value.cache_control
}

resource "aws_s3_object" "config" {
  bucket        = module.bucket.id
  key           = "config.json"
  content       = jsonencode({ for key, value in var.config : key => value if value != null })
  content_type  = "application/json"
  cache_control = "no-cache"
}
