# Blocks do not nest: a protect block inside an image rule.
image "a" {
  match = ["a:*"]
  protect "p" {
    images = ["b:*"]
  }
}
