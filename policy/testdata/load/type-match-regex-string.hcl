# match_regex is a list.
image "a" {
  match_regex = "app:v.*"
}
