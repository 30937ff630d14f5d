# status is required and must name at least one state.
container "no status" {
  names = ["ci-*"]
}

container "empty status" {
  status = []
}

container "running when named" {
  status     = ["running"]
  names      = ["ci-*"]
  older_than = "12h"
}
