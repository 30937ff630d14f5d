# Invalid duration: A number has at most one decimal point.
image "a" {
  match = ["a:*"]
  older_than = "1.2.3h"
}
