"""The errors a user can meet. Each says what happened and what to do next.

Exit codes follow SPEC section 3: 2 for a mistake in the command line itself,
1 for every other failure. Messages never contain a secret.
"""

from __future__ import annotations


class CodeMeshError(Exception):
    """A failure the user can act on: one line of message and one line of advice."""

    exit_code = 1

    def __init__(self, message: str, next_step: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.next_step = next_step

    def one_line(self) -> str:
        """The message and the next step, on one line."""
        text = self.message.rstrip(".") + "."
        if self.next_step:
            text += " " + self.next_step.rstrip(".") + "."
        return text


class CommandLineError(CodeMeshError):
    """The command line itself is wrong (exit 2)."""

    exit_code = 2


class InvalidIdentifier(ValueError):
    """A provider id or account name that does not match the allowed pattern.

    A plain ValueError: where it came from decides the exit code (an argument: 2,
    a file's content: 1).
    """


class NotLoggedIn(CodeMeshError):
    """Nothing is stored (or in the environment) for a provider or account."""


class StoreUnavailable(CodeMeshError):
    """The store cannot be opened, read or created; nothing in it was changed."""


class InvalidAuthFile(CodeMeshError):
    """An auth.json (or standard input) whose content cannot be imported as a whole."""


class InvalidInput(CodeMeshError):
    """Content read from standard input or a prompt that cannot be used."""


class ConfirmationRequired(CodeMeshError):
    """A destructive command off a terminal without --yes."""


class Cancelled(CodeMeshError):
    """The user said no at a prompt: nothing was done, so not a success (exit 1)."""


class ProviderUnavailable(CodeMeshError):
    """The provider could not be reached or answered nonsense; nothing was changed."""


class AuthorizationFailed(CodeMeshError):
    """A login did not complete: denied, expired, a state mismatch, a bad pasted answer."""


class RefreshRefused(CodeMeshError):
    """The provider refused the refresh token; the credential now needs a new login."""


class OAuthErrorResponse(CodeMeshError):
    """An OAuth server's error answer (RFC 6749 section 5.2), e.g. invalid_grant.

    `error` is the error code alone (empty when the server sent none that can be read);
    `description` is already made safe to show (escaped, redacted, short) by whoever read it."""

    def __init__(
        self, error: str, host: str, *, description: str | None = None, status: int | None = None
    ) -> None:
        detail = ": ".join(part for part in (error, description) if part)
        super().__init__(
            f"{host} refused the request" + (f" ({detail})" if detail else ""),
            "Run `code-mesh auth login` for this provider again",
        )
        self.error = error
        self.host = host
        self.description = description
        self.status = status


class KeyUnavailable(CodeMeshError):
    """The encryption key cannot be had (missing key file, no keychain entry, wrong passphrase)."""


class SecretDoesNotDecrypt(CodeMeshError):
    """A stored secret failed authentication: tampered with, or copied from another row."""


class DiskFull(StoreUnavailable):
    """The disk (or the user's quota) is full. Nothing is damaged: free space and run again.

    Never "move the file aside and restore from a backup": the file is fine."""

    def __init__(self, what: str, next_step: str = "Free some space and run the command again") -> None:
        super().__init__(f"The disk is full: {what}", next_step)


class NoInput(CodeMeshError):
    """Standard input ended (Ctrl-D) where an answer was needed: nothing was done (exit 1)."""

    def __init__(
        self,
        message: str = "No input: standard input ended (Ctrl-D) before an answer; nothing was changed",
        next_step: str | None = "Run the command again and answer the prompt",
    ) -> None:
        super().__init__(message, next_step)


class CommandNotFound(CodeMeshError):
    """`code-mesh exec`'s COMMAND is not on PATH (exit 127, as a shell says it)."""

    exit_code = 127


class CommandNotRunnable(CodeMeshError):
    """`code-mesh exec`'s COMMAND was found but cannot be run: not executable, not a program (126)."""

    exit_code = 126
