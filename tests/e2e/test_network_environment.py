"""HTTPS_PROXY, NO_PROXY and SSL_CERT_FILE, as users behind corporate proxies need (issue 10).

Acceptance 1: with the catalog's own URLs (no config.toml), the console login's token request
goes to https://platform.claude.com/v1/oauth/token, seen as the CONNECT a proxy gets, and
never reaches a public host: the proxy here is a loopback recorder that refuses every tunnel.
"""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from cli_checks import assert_one_error_line
from cli_process import CliProcess, write_config
from conftest import CliRunner
from servers.fake_llm_apis import FakeLLMApis
from servers.harness import serve_wsgi

KEY = "sk-proxy-test-key-6a2e"


def proxy_variables(**values: str) -> dict[str, str]:
    """Each variable in both cases (Python's urllib lets an empty lower-case one cancel the
    upper-case one); the proxy variables not named are set empty."""
    names = {"HTTP_PROXY": "", "HTTPS_PROXY": "", "ALL_PROXY": "", "NO_PROXY": "", **values}
    return {variant: value for name, value in names.items() for variant in (name, name.lower())}


@contextmanager
def refusing_proxy() -> Iterator[tuple[str, list[str]]]:
    """A proxy on 127.0.0.1 that records each request line (CONNECT host:port …) and answers 403."""
    seen: list[str] = []
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(5)
                head = b""
                while b"\r\n\r\n" not in head and len(head) < 65536:
                    chunk = connection.recv(4096)
                    if not chunk:
                        break
                    head += chunk
                seen.append(head.split(b"\r\n", 1)[0].decode("latin-1"))
                connection.sendall(
                    b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                )

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", seen
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


def test_the_console_login_goes_to_platform_claude_com_through_https_proxy(
    cli: CliRunner, home: Path
) -> None:
    with refusing_proxy() as (proxy, seen):
        login = CliProcess(
            home,
            "--debug",
            "auth",
            "login",
            "anthropic",
            "--method",
            "console",
            "--no-browser",
            env=proxy_variables(HTTPS_PROXY=proxy),
        )
        url = urlsplit(login.wait_for_line(lambda line: line.startswith("https://")))
        query = {name: values[0] for name, values in parse_qs(url.query).items()}
        assert (url.netloc, url.path) == ("platform.claude.com", "/oauth/authorize")
        assert urlsplit(query["redirect_uri"]).netloc == "platform.claude.com"
        assert query["code"] == "true" and query["client_id"] == "9d1c250a-e61b-44d9-88ed-5944d1962f5e"
        login.answer(f"pasted-code-73c1#{query['state']}")
        assert login.finish() == 1
    assert seen == ["CONNECT platform.claude.com:443 HTTP/1.1"]
    errors = [line for line in login.stderr_text.splitlines() if line.startswith("code-mesh: error: ")]
    assert errors == [
        "code-mesh: error: The proxy refused the connection to platform.claude.com; nothing was changed. "
        "Check HTTPS_PROXY (and NO_PROXY), or ask whoever runs the proxy."
    ]
    assert "POST https://platform.claude.com/v1/oauth/token JSON body: " in login.stderr_text
    assert "pasted-code-73c1" not in login.stderr_text + login.stdout
    assert "Not logged in to anthropic" in cli("auth", "token", "anthropic").stderr


def test_no_proxy_keeps_a_host_off_the_proxy(cli: CliRunner, home: Path) -> None:
    fake = FakeLLMApis()
    fake.api_keys.add(KEY)
    with fake.serve() as base, refusing_proxy() as (proxy, seen):
        write_config(home, f'[providers.openai]\napi_base_url = "{base}/v1"\n')
        direct = cli(
            "run", "hello", "--provider", "openai",
            env={**proxy_variables(HTTP_PROXY=proxy, NO_PROXY="127.0.0.1"), "OPENAI_API_KEY": KEY},
        )  # fmt: skip
        assert (direct.returncode, direct.stdout) == (0, "Hello, world!\n"), direct.stderr
        assert seen == []
        through = cli(
            "run",
            "hello",
            "--provider",
            "openai",
            env={**proxy_variables(HTTP_PROXY=proxy), "OPENAI_API_KEY": KEY},
        )
        assert "HTTP 403" in assert_one_error_line(through, 1)
        assert seen == [f"POST {base}/v1/chat/completions HTTP/1.1"]


def _self_signed(directory: Path) -> tuple[Path, ssl.SSLContext]:
    """A certificate for 127.0.0.1 that no system store trusts, and a server context using it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "code-mesh test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return cert_file, context


def test_ssl_cert_file_names_the_certificates_to_trust(cli: CliRunner, home: Path, tmp_path: Path) -> None:
    cert_file, context = _self_signed(tmp_path)
    fake = FakeLLMApis()
    fake.api_keys.add(KEY)
    with serve_wsgi(fake, tls=context) as base:
        write_config(home, f'[providers.openai]\napi_base_url = "{base}/v1"\n')
        trusted = cli(
            "run",
            "hello",
            "--provider",
            "openai",
            env={"OPENAI_API_KEY": KEY, "SSL_CERT_FILE": str(cert_file)},
        )
        assert (trusted.returncode, trusted.stdout) == (0, "Hello, world!\n"), trusted.stderr
        untrusted = cli("run", "hello", "--provider", "openai", env={"OPENAI_API_KEY": KEY})
        assert untrusted.stdout == ""
        assert "Cannot connect to 127.0.0.1" in assert_one_error_line(untrusted, 1)
    assert len(fake.openai_requests()) == 1
