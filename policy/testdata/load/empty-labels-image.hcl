# labels = {} in an image rule would restrict nothing: refused, as
# everywhere labels select.
image "a" {
  match  = ["a:*"]
  labels = {}
}
