variable "revision" {
  type        = string
  default     = "1"
  description = "Changed by the test to exercise in-place updates"
}

resource "aws_codecommit_repository" "this" {
  repository_name = "tf-gaps-repo"
  description     = "seeded by Terraform, revision ${var.revision}"
  tags = {
    project  = "tf-gaps"
    revision = var.revision
  }
}

output "clone_url_http" {
  value = aws_codecommit_repository.this.clone_url_http
}
