"""Talking to providers over HTTP: OAuth, chat wire formats, the loopback redirect listener."""
