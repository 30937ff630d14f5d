# null is not a value: an attribute that is not set is left out. (It used
# to mean "not set", which can turn a rule into "remove all it claims".)
image "a" {
  match = ["a:*"]
  keep  = null
}

container "c" {
  status = null
}
