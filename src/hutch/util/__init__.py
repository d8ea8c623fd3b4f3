"""Leaf helpers shared by the runtime and the engine: the standard library and hutch._sys only
(and hutch.errors, which imports nothing). Keep this file free of imports."""
