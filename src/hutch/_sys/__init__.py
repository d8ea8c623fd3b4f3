"""The syscall layer: the only package that uses ctypes or raw syscall numbers."""
