# ** in the tag part of an exclude.
image "a" {
  match = ["a:*"]
  exclude = ["a:keep-**"]
}
