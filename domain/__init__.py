"""Pure objects and rules about credentials: no I/O, no third-party imports."""
