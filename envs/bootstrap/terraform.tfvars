project = "ml"
region  = "us-east-1"

accounts = {
  tooling = "111111111111"
  dev     = "222222222222"
  staging = "333333333333"
  prod    = "444444444444"
}

# Who runs Terraform: your CI role or SSO role (exact ARNs).
trusted_principal_arns = ["arn:aws:iam::111111111111:role/platform-terraform-ci"]

tags = {
  team = "ml-platform"
}
