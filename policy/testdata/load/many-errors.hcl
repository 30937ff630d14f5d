# 25 mistakes: the first 20 are shown, and one more diagnostic says
# how many were left out, on the first of them.
image "a" {
  match = ["a:*"]
  wrong_00 = true
  wrong_01 = true
  wrong_02 = true
  wrong_03 = true
  wrong_04 = true
  wrong_05 = true
  wrong_06 = true
  wrong_07 = true
  wrong_08 = true
  wrong_09 = true
  wrong_10 = true
  wrong_11 = true
  wrong_12 = true
  wrong_13 = true
  wrong_14 = true
  wrong_15 = true
  wrong_16 = true
  wrong_17 = true
  wrong_18 = true
  wrong_19 = true
  wrong_20 = true
  wrong_21 = true
  wrong_22 = true
  wrong_23 = true
  wrong_24 = true
}
