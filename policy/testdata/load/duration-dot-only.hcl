# Invalid duration: A unit needs a number.
image "a" {
  match = ["a:*"]
  older_than = ".h"
}
