# bucket and region come from -backend-config (see ../backend.hcl.example, or
# scripts/tf-sandbox.sh for the local sandbox).
terraform {
  backend "s3" {
    key          = "envs/staging/terraform.tfstate"
    use_lockfile = true
    encrypt      = true
  }
}
