# A comparison is an expression.
protect_latest = 1 == 1
