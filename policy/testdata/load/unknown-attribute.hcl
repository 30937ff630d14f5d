# Typos in attribute names get a "did you mean" hint.
protect_lastest = false

image "pull requests" {
  match     = ["ghcr.io/acme/**:pr-*"]
  olderthan = "7d"
}

container "finished" {
  status       = ["exited"]
  remove_volume = true
}
