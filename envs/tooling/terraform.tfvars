# Tooling-only settings. What every account shares (platform, region, accounts, stages, models, tags) is in
# ../platform.tfvars: terraform plan -var-file=../platform.tfvars

# organization_id    = "o-abcdefghij"
# producer_role_arns = ["arn:aws:iam::555555555555:role/training"]
