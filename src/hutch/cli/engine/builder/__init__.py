"""`hutch builder ...`: the build cache (docker's `builder` management command)."""
