# One root, one state per stage: the key comes from -backend-config=key=envs/<stage>/terraform.tfstate
# (the key the former envs/<stage> roots used), bucket and region from ../backend.hcl (see
# ../backend.hcl.example, or scripts/tf-sandbox.sh for the local sandbox). Give each stage its own
# TF_DATA_DIR (.terraform-<stage>) so switching stages needs no `init -reconfigure`.
terraform {
  backend "s3" {
    use_lockfile = true
    encrypt      = true
  }
}
