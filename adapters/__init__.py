"""The ports made real: stores, auth.json codecs, the terminal, the clock, files."""
