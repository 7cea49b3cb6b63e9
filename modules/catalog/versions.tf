terraform {
  # optional() attributes with defaults, and validations that reference other variables (1.9).
  required_version = ">= 1.9"
}
