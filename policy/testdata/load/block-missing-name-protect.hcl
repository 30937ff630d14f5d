# A protect block needs a name.
protect {
  images = ["python:*"]
}
