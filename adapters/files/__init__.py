"""Files code-mesh reads and writes: the home, auth.json codecs, config.toml, private files."""
