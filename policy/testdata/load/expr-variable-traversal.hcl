# A variable with attributes, as in Terraform.
image "a" {
  match = ["a:*"]
  older_than = var.retention
}
