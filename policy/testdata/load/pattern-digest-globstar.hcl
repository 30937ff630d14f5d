# A digest never contains '/': ** has nothing to cross.
protect "p" {
  images = ["app@**"]
}
