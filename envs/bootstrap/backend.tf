# Local state: the bootstrap creates the state bucket the other roots use. Keep
# terraform.tfstate safe (it names roles and a key, no secrets), or move it into the
# bucket afterwards with a backend "s3" block and `terraform init -migrate-state`.
terraform {
  backend "local" {}
}
