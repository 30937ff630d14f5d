# More than 32 levels of brackets: refused before parsing, at the 33rd.
image "a" {
  match = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["a:*"]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]
}
