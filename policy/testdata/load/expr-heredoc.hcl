# Heredocs are templates with a trailing newline: refused.
image "a" {
  match = ["a:*"]
  older_than = <<EOT
7d
EOT
}
