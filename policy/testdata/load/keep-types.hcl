# keep is a whole number of images, 0 or more, without quotes.
image "quoted" {
  match = ["a:*"]
  keep  = "3"
}

image "negative" {
  match = ["b:*"]
  keep  = -1
}

image "fraction" {
  match = ["c:*"]
  keep  = 1.5
}

image "bool" {
  match = ["d:*"]
  keep  = true
}
