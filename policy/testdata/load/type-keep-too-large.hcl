# keep counts images per repository; a huge number is a mistake.
image "a" {
  match = ["a:*"]
  keep = 10000000
}
