# older_than = null used to mean "not set", which turns a rule without
# other conditions into "remove everything it claims". null is refused.
image "a" {
  match      = ["a:*"]
  older_than = null
}
