# 24 warnings: the first 20 are shown, then how many more; the policy
# still loads.
image "a" {
  match = [
    "docker.io/library/app00:*",
    "docker.io/library/app01:*",
    "docker.io/library/app02:*",
    "docker.io/library/app03:*",
    "docker.io/library/app04:*",
    "docker.io/library/app05:*",
    "docker.io/library/app06:*",
    "docker.io/library/app07:*",
    "docker.io/library/app08:*",
    "docker.io/library/app09:*",
    "docker.io/library/app10:*",
    "docker.io/library/app11:*",
    "docker.io/library/app12:*",
    "docker.io/library/app13:*",
    "docker.io/library/app14:*",
    "docker.io/library/app15:*",
    "docker.io/library/app16:*",
    "docker.io/library/app17:*",
    "docker.io/library/app18:*",
    "docker.io/library/app19:*",
    "docker.io/library/app20:*",
    "docker.io/library/app21:*",
    "docker.io/library/app22:*",
    "docker.io/library/app23:*",
  ]
}
