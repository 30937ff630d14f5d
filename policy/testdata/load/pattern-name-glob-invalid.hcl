# Name globs of volumes are checked too.
volume "v" {
  names = ["cache-[a"]
}
