"""HTTP servers the tests start on 127.0.0.1: fakes of the real providers, and an authlib server."""
