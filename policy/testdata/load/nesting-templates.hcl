# Interpolations nest too: each "${ is two levels.
image "a" {
  older_than = "${"${"${"${"${"${"${"${"${"${"${"${"${"${"${"${"${"7d"}"}"}"}"}"}"}"}"}"}"}"}"}"}"}"}"}"
}
