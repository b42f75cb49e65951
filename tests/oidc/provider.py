"""Starts tests/oidc/provider.mjs on a free port and waits until it serves its discovery document."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from types import TracebackType

import httpx

from tests.smtp import free_port

SCRIPT = Path(__file__).with_name("provider.mjs")
CLIENT_ID = "mend"
CLIENT_SECRET = "mend-test-secret"  # the provider's test client; not a secret of any real installation


class OidcProvider:
    """One provider process whose only client redirects to `redirect_uri`; a context manager."""

    def __init__(self, redirect_uri: str) -> None:
        self.redirect_uri = redirect_uri
        self.issuer = f"http://127.0.0.1:{free_port()}"
        self._process: subprocess.Popen[bytes] | None = None

    def env(self, **more: str) -> dict[str, str]:
        """The PORTAL_OIDC_* variables that point a portal at this provider."""
        return {
            "PORTAL_OIDC_ISSUER": self.issuer,
            "PORTAL_OIDC_CLIENT_ID": CLIENT_ID,
            "PORTAL_OIDC_CLIENT_SECRET": CLIENT_SECRET,
            **more,
        }

    def __enter__(self) -> OidcProvider:
        port = self.issuer.rsplit(":", 1)[1]
        # Its warnings (development adapter, development pages) are expected: keep them out of the test output.
        self._process = subprocess.Popen(
            ["node", str(SCRIPT), port, self.redirect_uri], cwd=SCRIPT.parent, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError("the OpenID provider exited during start-up (is `cd tests && npm ci` done?)")
            try:
                if httpx.get(f"{self.issuer}/.well-known/openid-configuration", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.05)  # nothing to wait on but the discovery document itself
        self.__exit__(None, None, None)
        raise RuntimeError("the OpenID provider did not start")

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(10)
