"""Generated from the catalog's TOML files by `python -m code_mesh.catalog`: do not edit.

The `auth token` fast path reads this instead of the TOML files (tomllib alone costs about
10 ms); tests/unit/test_catalog.py fails when it no longer matches them.
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
