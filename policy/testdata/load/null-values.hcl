# null means "not set", as in the rest of HCL.
image "a" {
  match = ["a:*"]
  keep  = null
}

container "c" {
  status = null
}
