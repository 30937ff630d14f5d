# An if directive in a string.
image "a" {
  match = ["a:*"]
  older_than = "%{if true}7d%{else}1d%{endif}"
}
