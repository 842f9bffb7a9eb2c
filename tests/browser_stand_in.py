"""Stands in for a web browser (BROWSER=this script): records its argv (and, when asked, its
environment), then follows the link.

Following the authorization URL through the server's redirect reaches the CLI's loopback
listener, which completes the login exactly as a person's browser would.
"""

from __future__ import annotations

import json
import os
import sys

import httpx

if __name__ == "__main__":
    with open(os.environ["CODE_MESH_TEST_BROWSER_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps(sys.argv) + "\n")
    if os.environ.get("CODE_MESH_TEST_BROWSER_ENVIRONMENT"):  # the environment it was started with
        with open(os.environ["CODE_MESH_TEST_BROWSER_ENVIRONMENT"], "w", encoding="utf-8") as dump:
            json.dump(dict(os.environ), dump)
    httpx.get(sys.argv[1], follow_redirects=True, timeout=30)
