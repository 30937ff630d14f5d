# A logical and is an expression.
protect_latest = true && false
