"""Generated from the catalog's TOML files by `python -m code_mesh.catalog`: do not edit.

The read-only fast paths (`auth token`, `auth list`, `auth status`, `auth which`, `exec`) read
this instead of the TOML files (tomllib alone costs about 10 ms; adapters/files/catalog_index.py
reads it); tests/unit/test_catalog.py fails when it no longer matches them.
"""

ENVIRONMENT_VARIABLES: dict[str, tuple[str, ...]] = {
    "anthropic": ("ANTHROPIC_API_KEY",),
    "deepseek": ("DEEPSEEK_API_KEY",),
    "github-copilot": (),
    "google": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
    "groq": ("GROQ_API_KEY",),
    "mistral": ("MISTRAL_API_KEY",),
    "openai": ("OPENAI_API_KEY",),
    "openrouter": ("OPENROUTER_API_KEY",),
    "xai": ("XAI_API_KEY",),
}

PROVIDERS: tuple[str, ...] = (
    "anthropic",
    "openai",
    "github-copilot",
    "deepseek",
    "google",
    "groq",
    "mistral",
    "openrouter",
    "xai",
)

# id: (name, env, methods, (exec api_key, exec oauth, exec oauth_unset, exec oauth_token_field))
FACTS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...], tuple[object, ...]]] = {
    "anthropic": ("Anthropic (Claude)", ("ANTHROPIC_API_KEY",), ("console", "api-key", "claude-max"), (("ANTHROPIC_API_KEY",), ("CLAUDE_CODE_OAUTH_TOKEN",), ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN"), "access_token")),
    "deepseek": ("DeepSeek", ("DEEPSEEK_API_KEY",), ("api-key",), (("DEEPSEEK_API_KEY",), (), (), "access_token")),
    "github-copilot": ("GitHub Copilot", (), ("device",), ((), ("COPILOT_GITHUB_TOKEN", "GH_COPILOT_TOKEN"), (), "refresh_token")),
    "google": ("Google Gemini", ("GEMINI_API_KEY", "GOOGLE_API_KEY"), ("api-key",), (("GEMINI_API_KEY",), (), (), "access_token")),
    "groq": ("Groq", ("GROQ_API_KEY",), ("api-key",), (("GROQ_API_KEY",), (), (), "access_token")),
    "mistral": ("Mistral", ("MISTRAL_API_KEY",), ("api-key",), (("MISTRAL_API_KEY",), (), (), "access_token")),
    "openai": ("OpenAI", ("OPENAI_API_KEY",), ("api-key",), (("OPENAI_API_KEY",), (), (), "access_token")),
    "openrouter": ("OpenRouter", ("OPENROUTER_API_KEY",), ("api-key",), (("OPENROUTER_API_KEY",), (), (), "access_token")),
    "xai": ("xAI", ("XAI_API_KEY",), ("api-key",), (("XAI_API_KEY",), (), (), "access_token")),
}

# A stored provider of no catalog file (no config.toml): the same fields, for any id
CUSTOM: tuple[str, tuple[str, ...], tuple[str, ...], tuple[object, ...]] = ("custom-provider", (), ("api-key",), ((), (), (), "access_token"))
