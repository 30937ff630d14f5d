# null at the top level.
protect_latest = null
