# labels = {} in a protect block protects nothing, though its author
# believes it keeps something.
protect "keep" {
  images = ["base:*"]
  labels = {}
}
