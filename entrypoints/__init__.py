"""The command line: parse, call a use case, render. Wiring lives in bootstrap.py only."""
