# Regexes are RE2; the error points at the one that is wrong.
image "releases" {
  match_regex = ["registry.example.com/app:v\\d+", "app:(v\\d+", "app:(?<name>x)"]
}

protect "p" {
  images_regex = ["a)|(b"]
}
