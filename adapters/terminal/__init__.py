"""The person at the terminal: prompts, selection lists, progress, the browser."""
