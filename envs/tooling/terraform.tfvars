project    = "churn"
region     = "us-east-1"
account_id = "111111111111"

stages = [
  { name = "dev", account_id = "222222222222" },
  { name = "staging", account_id = "333333333333" },
  { name = "prod", account_id = "444444444444" },
]

tags = {
  team = "ml-platform"
}
