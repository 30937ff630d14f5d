# labels is a map.
protect "p" {
  labels = "shaper.keep=true"
}
