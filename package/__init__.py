"""code-mesh: the credential layer for AI coding tools.

Kept empty of imports on purpose: `code-mesh auth token` imports this package on its
hot path, so everything here costs every script that asks for a token.
"""

__version__ = "0.1.0"
