"""A real OpenID provider on loopback (Node's `oidc-provider`, run by
tests/browser/node/oidc_provider.mjs), and a person signing in at its login form without a browser.

Its login form takes any login id; the account's email is that id, verified, unless the id
starts with "unverified" (see the script). `make test` installs the package (npm ci).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests

NODE_DIR = Path(__file__).resolve().parent / "browser" / "node"
SCRIPT = NODE_DIR / "oidc_provider.mjs"
CLIENT_ID = "feedback-app"
CLIENT_SECRET = "a-client-secret-only-the-tests-use-0123456789"


class OidcProvider:
    """The provider process, serving one confidential client with the given redirect URIs."""

    def __init__(self, redirect_uris: list[str]) -> None:
        if not (NODE_DIR / "node_modules" / "oidc-provider").is_dir():
            pytest.fail("oidc-provider is missing: make test installs it (npm ci).")
        env = {
            **os.environ,
            "CLIENT_ID": CLIENT_ID,
            "CLIENT_SECRET": CLIENT_SECRET,
            "REDIRECT_URIS": " ".join(redirect_uris),
            "PORT": "0",
        }
        self.process = subprocess.Popen(
            ["node", str(SCRIPT)],
            cwd=NODE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        line = self.process.stdout.readline() if self.process.stdout else ""
        if not line.startswith("ready "):
            self.stop()
            pytest.fail(f"the OpenID provider did not start: {line!r}")
        self.issuer = line.split()[1]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()


def sign_in_at_provider(authorize_url: str, login: str) -> dict[str, str]:
    """Follow the provider's pages as a browser would: its login form with `login`, then its
    consent form; the query the provider sends back to the app's redirect URI."""
    provider = requests.Session()
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(authorize_url))
    url = authorize_url
    for _ in range(10):
        answer = provider.get(url, allow_redirects=False, timeout=10)
        if answer.status_code == 200 and "/interaction/" in url:
            uid = urlsplit(url).path.rstrip("/").split("/")[-1]
            if 'name="login"' in answer.text:
                form = {"prompt": "login", "login": login, "password": "any"}
            else:
                form = {"prompt": "consent"}
            answer = provider.post(
                f"{origin}/interaction/{uid}", data=form, allow_redirects=False, timeout=10
            )
        assert answer.status_code in (302, 303), answer.text[:500]
        url = urljoin(url, answer.headers["Location"])
        if not url.startswith(origin):
            return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    raise AssertionError("the provider never sent the browser back")
