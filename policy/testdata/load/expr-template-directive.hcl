# Template directives in a string are code, not data.
image "a" {
  match = ["%{for x in ["a", "b"]}${x}%{endfor}:*"]
}
