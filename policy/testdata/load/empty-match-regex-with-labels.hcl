# match_regex = [] next to labels: it would stop restricting the rule to references.
image "a" {
  match_regex = []
  labels      = { "ci" = "true" }
}
