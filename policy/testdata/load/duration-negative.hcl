# Invalid duration: Durations are positive.
image "a" {
  match = ["a:*"]
  older_than = "-1h"
}
