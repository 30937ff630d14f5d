# An image attribute at the top level, outside any block.
match = ["a:*"]
