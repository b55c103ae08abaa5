"""A stand-in OpenID Connect provider (IdP) for the sign-in tests, on 127.0.0.1 and a free port.

No real provider (the town's IdP, LINE Login…) can be reached from the test machine, so this one
plays the provider's side of OpenID Connect Core 1.0 (authorization code flow) and Discovery 1.0
over real HTTP, the way allauth's `openid_connect` provider talks to any other:

- `GET /.well-known/openid-configuration`: the discovery document.
- `GET /jwks`: the public signing key (RS256) as a JSON Web Key Set.
- `GET /authorize`: checks the client, `redirect_uri`, `response_type=code` and the `openid` scope,
  "signs in" whoever the test set as `provider.resident`, and redirects back with `code` and `state`
  (or `error=access_denied` when nobody is set).
- `POST /token`: checks the grant (code issued here, not used before, same client and `redirect_uri`,
  and the PKCE `code_verifier` (RFC 7636, S256) when the code was asked for with a challenge) and the
  client's secret (`client_secret_post` or `client_secret_basic`), answers an access token and an ID
  token signed with the key published at `/jwks`. Errors are RFC 6749 §5.2 JSON.
- `GET /userinfo`: the resident's claims (`sub`, `email`, `email_verified`, `name`) for a valid
  `Authorization: Bearer` access token.

    with OIDCProvider(client_id="yakuba", client_secret="s3cret") as provider:
        provider.resident = Identity(sub="u-1", email="a@example.jp", email_verified=True, name="…")
        provider.issuer  # http://127.0.0.1:<port>
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

# Generating an RSA key takes a moment; one per test run is enough (each provider gets its own kid).
_SIGNING_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass(frozen=True)
class Identity:
    """Who is signed in at the provider: the claims it vouches for."""

    sub: str
    # None: the provider shares no address (LINE Login, for one, only with extra permission).
    email: str | None
    email_verified: bool = True
    name: str = "亘理 花子"

    def claims(self) -> dict[str, Any]:
        claims: dict[str, Any] = {"sub": self.sub, "name": self.name}
        if self.email is not None:
            claims.update(email=self.email, email_verified=self.email_verified)
        return claims


@dataclass
class _Grant:
    """An authorization code and what it was issued for (one use only)."""

    client_id: str
    redirect_uri: str
    identity: Identity
    nonce: str | None
    code_challenge: str | None
    used: bool = False


@dataclass
class OIDCProvider:
    """The provider's state: its one registered client, issued codes and access tokens."""

    client_id: str
    client_secret: str
    resident: Identity | None = None
    # A test may make the ID token claim another audience, as a token meant for another client would.
    id_token_audience: str | None = None
    key_id: str = field(default_factory=lambda: secrets.token_hex(8))
    grants: dict[str, _Grant] = field(default_factory=dict)
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    access_tokens: dict[str, Identity] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def issuer(self) -> str:
        assert self._server is not None, "start() the provider first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def configuration(self) -> dict[str, Any]:
        """OpenID Connect Discovery 1.0 §3 provider metadata."""
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "profile", "email"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "grant_types_supported": ["authorization_code"],
            "claims_supported": [
                "sub",
                "iss",
                "aud",
                "exp",
                "iat",
                "email",
                "email_verified",
                "name",
            ],
        }

    def jwks(self) -> dict[str, Any]:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(_SIGNING_KEY.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": self.key_id, "use": "sig", "alg": "RS256"}]}

    def id_token(self, identity: Identity, *, nonce: str | None) -> str:
        """An ID token (Core 1.0 §2) for this client, signed RS256 with the published key."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.id_token_audience or self.client_id,
            "iat": now,
            "exp": now + 300,
            "auth_time": now,
            "jti": secrets.token_urlsafe(16),
            **identity.claims(),
        }
        if nonce:
            claims["nonce"] = nonce
        return jwt.encode(claims, _SIGNING_KEY, algorithm="RS256", headers={"kid": self.key_id})

    def start(self) -> OIDCProvider:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        # A short poll so that stopping the server does not add half a second to every test.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> OIDCProvider:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # The endpoints. Each returns (status, headers, JSON body or None).

    def authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        self.authorize_requests.append(query)
        if query.get("client_id") != self.client_id or not query.get("redirect_uri"):
            # Core 1.0 §3.1.2.6: never redirect to an unverified redirect_uri.
            return HTTPStatus.BAD_REQUEST, {}, {"error": "invalid_request"}
        redirect_uri = query["redirect_uri"]
        back: dict[str, str] = {}
        if "state" in query:
            back["state"] = query["state"]
        if query.get("response_type") != "code":
            back["error"] = "unsupported_response_type"
        elif "openid" not in query.get("scope", "").split():
            back["error"] = "invalid_scope"
        elif self.resident is None:
            back["error"] = "access_denied"
        elif "code_challenge" in query and query.get("code_challenge_method") != "S256":
            back["error"] = "invalid_request"
        else:
            code = secrets.token_urlsafe(24)
            self.grants[code] = _Grant(
                client_id=self.client_id,
                redirect_uri=redirect_uri,
                identity=self.resident,
                nonce=query.get("nonce"),
                code_challenge=query.get("code_challenge"),
            )
            back["code"] = code
        return HTTPStatus.FOUND, {"Location": f"{redirect_uri}?{urlencode(back)}"}, None

    def token(self, form: dict[str, str], authorization: str) -> tuple[int, dict[str, str], Any]:
        self.token_requests.append(form)
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        if authorization.startswith("Basic "):
            decoded = base64.b64decode(authorization.removeprefix("Basic ")).decode()
            client_id, _, client_secret = decoded.partition(":")
        if client_id != self.client_id or client_secret != self.client_secret:
            return HTTPStatus.UNAUTHORIZED, {}, {"error": "invalid_client"}
        if form.get("grant_type") != "authorization_code":
            return HTTPStatus.BAD_REQUEST, {}, {"error": "unsupported_grant_type"}
        grant = self.grants.get(form.get("code", ""))
        if (
            grant is None
            or grant.used
            or grant.client_id != client_id
            or grant.redirect_uri != form.get("redirect_uri")
            or not _pkce_matches(grant.code_challenge, form.get("code_verifier"))
        ):
            return HTTPStatus.BAD_REQUEST, {}, {"error": "invalid_grant"}
        grant.used = True
        access_token = secrets.token_urlsafe(24)
        self.access_tokens[access_token] = grant.identity
        return (
            HTTPStatus.OK,
            {"Cache-Control": "no-store"},
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": self.id_token(grant.identity, nonce=grant.nonce),
            },
        )

    def userinfo(self, authorization: str) -> tuple[int, dict[str, str], Any]:
        identity = self.access_tokens.get(authorization.removeprefix("Bearer "))
        if not authorization.startswith("Bearer ") or identity is None:
            return (
                HTTPStatus.UNAUTHORIZED,
                {"WWW-Authenticate": 'Bearer error="invalid_token"'},
                {"error": "invalid_token"},
            )
        return HTTPStatus.OK, {}, identity.claims()


def _pkce_matches(challenge: str | None, verifier: str | None) -> bool:
    """RFC 7636 §4.6: BASE64URL(SHA256(code_verifier)) == code_challenge, when one was given."""
    if challenge is None:
        return True
    if not verifier:
        return False
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return secrets.compare_digest(base64.urlsafe_b64encode(digest).rstrip(b"=").decode(), challenge)


def _handler_for(provider: OIDCProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = {key: values[0] for key, values in parse_qs(url.query).items()}
            if url.path == "/.well-known/openid-configuration":
                self._answer(HTTPStatus.OK, {}, provider.configuration())
            elif url.path == "/jwks":
                self._answer(HTTPStatus.OK, {}, provider.jwks())
            elif url.path == "/authorize":
                self._answer(*provider.authorize(query))
            elif url.path == "/userinfo":
                self._answer(*provider.userinfo(self.headers.get("Authorization", "")))
            else:
                self._answer(HTTPStatus.NOT_FOUND, {}, {"error": "not_found"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            form = {key: values[0] for key, values in parse_qs(body).items()}
            if urlsplit(self.path).path == "/token":
                self._answer(*provider.token(form, self.headers.get("Authorization", "")))
            else:
                self._answer(HTTPStatus.NOT_FOUND, {}, {"error": "not_found"})

        def _answer(self, status: int, headers: dict[str, str], body: Any) -> None:
            payload = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if body is not None:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the tests assert on what the provider saw, not on its log."""

    return Handler
