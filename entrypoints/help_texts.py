"""What `--help` shows besides the options: usage lines that name their arguments, and examples.

Plain data, imported by cli.py at start-up: no command module is imported to show help.
Keyed by the command's path below `code-mesh`.
"""

from __future__ import annotations

USAGE: dict[tuple[str, ...], str] = {
    # cyclopts writes `[ARGS]` for optional positional arguments; these name them.
    ("auth", "login"): "Usage: code-mesh auth login [OPTIONS] [PROVIDER]",
    ("auth", "logout"): "Usage: code-mesh auth logout [OPTIONS] [PROVIDER]",
    ("auth", "switch"): "Usage: code-mesh auth switch [PROVIDER] [ACCOUNT]",
    ("auth", "import"): "Usage: code-mesh auth import [OPTIONS] [PATH]",
    ("auth", "refresh"): "Usage: code-mesh auth refresh [OPTIONS] [PROVIDER]",
    ("auth", "status"): "Usage: code-mesh auth status [OPTIONS] [PROVIDER]",
    ("auth", "which"): "Usage: code-mesh auth which [OPTIONS] PROVIDER",
    ("exec",): "Usage: code-mesh exec [--provider P[:ACCOUNT]]… [--dry-run [--json]] [--] COMMAND [ARG…]",
}

EXAMPLES: dict[tuple[str, ...], str] = {
    # Each line fits 80 columns: cyclopts wraps longer ones mid-word.
    # Short on purpose: `code-mesh --help` is measured (benchmarks/startup.py), and rich takes
    # about a millisecond to lay out every few lines of it.
    (): """Every command's --help has examples. Completion: code-mesh completion SHELL.
Environment: CODE_MESH_HOME (default ~/.code-mesh), CODE_MESH_CONFIG, NO_COLOR,
CODE_MESH_PASSPHRASE, CODE_MESH_DEBUG=1 (as --debug), CODE_MESH_HTTP_TIMEOUT.""",
    ("auth",): """Examples:
  code-mesh auth login                  # pick a provider and a method
  code-mesh auth list
  code-mesh auth token openai""",
    ("auth", "login"): """Examples:
  code-mesh auth login                  # pick a provider and a method
  code-mesh auth login anthropic --method claude-max
  code-mesh auth login github-copilot --no-browser
  printf %s "$KEY" | code-mesh auth login openai --with-key
  printf %s "$KEY" | code-mesh auth login openai --account work --with-key

A key is never an argument: pipe it in, or type it at the hidden prompt.""",
    ("auth", "token"): """Examples:
  code-mesh auth token openai
  code-mesh auth token anthropic --account work
  curl -H "Authorization: Bearer $(code-mesh auth token openai)" …
In Claude Code's settings.json: "apiKeyHelper": "code-mesh auth token anthropic\"""",
    ("auth", "list"): """Examples:
  code-mesh auth list
  code-mesh auth list --json | jq -r '.credentials[].provider'""",
    ("auth", "logout"): """Examples:
  code-mesh auth logout                 # pick one, at a terminal
  code-mesh auth logout openai --yes    # in a script
  code-mesh auth logout openai --account work --yes
  code-mesh auth logout --all --yes     # remove everything""",
    ("auth", "switch"): """Examples:
  code-mesh auth switch                 # pick one, at a terminal
  code-mesh auth switch openai work""",
    ("auth", "refresh"): """Examples:
  code-mesh auth refresh anthropic
  code-mesh auth refresh github-copilot --account work
  code-mesh auth refresh --all          # every credential due within the hour""",
    ("auth", "export"): """Examples:
  code-mesh auth export                 # to $CODE_MESH_HOME/auth.json
  code-mesh auth export --output - | gpg -c > auth.json.gpg
  code-mesh auth export --format opencode --output opencode-auth.json""",
    ("auth", "import"): """Examples:
  code-mesh auth import ~/.local/share/opencode/auth.json --dry-run
  gpg -d auth.json.gpg | code-mesh auth import -""",
    ("auth", "doctor"): """Examples:
  code-mesh auth doctor
  code-mesh auth doctor --json | jq '.checks[] | select(.level != "ok")'""",
    ("auth", "status"): """Examples:
  code-mesh auth status
  code-mesh auth status anthropic --online
  code-mesh auth status --json | jq '.providers[] | select(.usable | not)'""",
    ("auth", "which"): """Examples:
  code-mesh auth which anthropic
  code-mesh auth which openai --json | jq -r .source""",
    ("auth", "log"): """Examples:
  code-mesh auth log
  code-mesh auth log --provider anthropic --since 7d
  code-mesh auth log --json --limit 500 | jq '.[] | select(.outcome != "ok")'""",
    ("auth", "key"): """Examples:
  code-mesh auth key rotate
  printf %s "$NEW" | code-mesh auth key rotate --new-passphrase-stdin""",
    ("auth", "key", "rotate"): """Examples:
  code-mesh auth key rotate             # seal every secret under a new key
  printf %s "$NEW" | code-mesh auth key rotate --new-passphrase-stdin
  code-mesh auth key rotate --new-key-file /run/secrets/code-mesh-key
The last two are for a team store: its new passphrase, or its new key file.""",
    ("store",): """Examples:
  export CODE_MESH_DATABASE_URL=postgresql+psycopg://owner@db/team
  code-mesh store migrate""",
    ("store", "migrate"): """Examples:
  export CODE_MESH_DATABASE_URL=postgresql+psycopg://owner@db/team
  code-mesh store migrate               # once, as the database's owner
Only this command migrates a team store; a SQLite store migrates by itself.""",
    ("exec",): """Examples:
  code-mesh exec --provider anthropic -- claude
  code-mesh exec --provider anthropic:work -- claude -p "Review this"
  code-mesh exec --provider openai -- codex
  code-mesh exec --provider openai --dry-run     # what would be set, no value
Only the providers named (else the project file's, else config.toml's) are handed over.""",
    ("run",): """Examples:
  code-mesh run "Say hello"
  git diff | code-mesh run - --system "Review this change"
  code-mesh run "Summarise" --provider openai --json | jq -r .text""",
    ("completion",): """Examples:
  dir=~/.local/share/bash-completion/completions
  mkdir -p $dir && code-mesh completion bash > $dir/code-mesh
  code-mesh completion zsh > ~/.zfunc/_code-mesh   # a directory in $fpath
  code-mesh completion fish > ~/.config/fish/completions/code-mesh.fish""",
}
