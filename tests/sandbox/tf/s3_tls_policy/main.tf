resource "aws_s3_bucket" "capture" {
  bucket        = "tf-gaps-capture"
  force_destroy = true
}

resource "aws_s3_bucket_public_access_block" "capture" {
  bucket                  = aws_s3_bucket.capture.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

data "aws_iam_policy_document" "tls_only" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    resources = [aws_s3_bucket.capture.arn, "${aws_s3_bucket.capture.arn}/*"]
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "capture" {
  bucket     = aws_s3_bucket.capture.id
  policy     = data.aws_iam_policy_document.tls_only.json
  depends_on = [aws_s3_bucket_public_access_block.capture]
}

# Written after the policy: proves the Deny's condition is evaluated, not the bare Deny.
resource "aws_s3_object" "marker" {
  bucket     = aws_s3_bucket.capture.id
  key        = "marker.json"
  content    = jsonencode({ ok = true })
  depends_on = [aws_s3_bucket_policy.capture]
}
