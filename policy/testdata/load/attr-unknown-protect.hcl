# Unknown attributes in a protect block get a "did you mean" hint.
protect "p" {
  image = ["python:*"]
}
