"""`hutch network ...`: docker's network verbs (create, ls, inspect, rm, prune)."""
