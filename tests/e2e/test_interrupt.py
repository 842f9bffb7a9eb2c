"""Ctrl-C at any moment of start-up: exit 130, one line, no traceback (issue 9, T3).

The program is started the way pip's console script starts it (import
code_mesh.entrypoints.main, call main()), through a launcher that says when it is about
to do so. What runs before the entry module's first line (the interpreter, the two empty
package modules, which the launcher imports before its marker) is outside the guarantee;
from there on, SIGINT at a random moment must end in exit 130 and the one line, whether
it lands in the heavy imports of the full CLI, in the store's creation or at the prompt.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import clean_environment
from store_reader import store_rows

LAUNCHER = (
    "import re, sys\n"
    "import code_mesh, code_mesh.entrypoints\n"
    "print('launching', flush=True)\n"
    # What pip writes into bin/code-mesh, line for line:
    "from code_mesh.entrypoints.main import main\n"
    "if __name__ == '__main__':\n"
    "    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n"
    "    sys.exit(main())\n"
)
# Reaches the prompt only after the full CLI, SQLAlchemy, Alembic (a new store) and httpx are
# imported; then it waits on standard input, which stays open.
COMMAND = ("auth", "login", "anthropic", "--method", "claude-max", "--no-browser")
TRIES = 40
AT_ONCE = 8
INTERRUPTED = "code-mesh: interrupted; nothing was changed."


def _start(home: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, *COMMAND],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_environment(home),
        # A test run in the background inherits an ignored SIGINT, which Python would keep.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def test_ctrl_c_at_random_moments_of_start_up_is_exit_130_without_traceback(tmp_path: Path) -> None:
    rng = random.Random(9)
    delays = [rng.uniform(0.005, 0.3) for _ in range(TRIES)]
    outcomes = []
    for batch in range(0, TRIES, AT_ONCE):
        started = []
        for number, delay in enumerate(delays[batch : batch + AT_ONCE], start=batch):
            home = tmp_path / f"home-{number}"
            process = _start(home)
            assert process.stdout is not None
            assert process.stdout.readline() == "launching\n"
            started.append((process, delay, home, time.monotonic()))
        for process, delay, _home, launched in started:
            time.sleep(max(0.0, launched + delay - time.monotonic()))
            process.send_signal(signal.SIGINT)
        for process, delay, home, _launched in started:
            _out, err = process.communicate(timeout=60)
            outcomes.append((round(delay, 3), process.returncode, err, home))
    failures = [
        (delay, code, err)
        for delay, code, err, _home in outcomes
        if code != 130 or "Traceback" in err or err.strip().splitlines()[-1:] != [INTERRUPTED]
    ]
    assert failures == []
    for _delay, _code, _err, home in outcomes:
        assert store_rows(home) == []  # nothing stored
        assert list(home.glob(".auth.db.new-*")) == []  # and no half-built store left behind
