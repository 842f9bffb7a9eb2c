"""One module per command; each parses, calls one use case and renders its result."""
