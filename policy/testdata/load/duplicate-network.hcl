# Two network rules with one name.
network "n" {}

network "n" {
  names = ["ci_*"]
}
