"""The official Python MCP SDK (`mcp`, pinned by requirements.txt),
unmodified, pointed only at a resource's URL (the example API <base>/api,
or examples/mcp_resource_server.rs), as an MCP client is pointed at an MCP
server.

Its OAuthClientProvider is an httpx2.Auth: one `client.get(<base>/api)`
runs the whole chain by itself. The resource answers 401 naming its RFC
9728 metadata; the SDK reads it, then the authorization server's RFC 8414
metadata, registers itself (RFC 7591) and sends the user to the
authorization endpoint with PKCE and `resource` (RFC 8707). The user (the
redirect handler below, plain httpx2 with cookies) signs in and presses
Allow on Portcullis's own pages; the callback handler hands the code and
state back; the SDK exchanges the code and repeats the call, which
succeeds. Once the access token has expired the SDK refreshes before the
next call; rotation is then checked: the old refresh token is refused, and
presenting it revokes the family (RFC 9700 §4.14.2).

Usage: python mcp_sdk.py BASE_URL RS_CLIENT_ID RS_CLIENT_SECRET [RESOURCE_URL]
(run by tests/mcp_sdks.rs; the resource server credentials introspect the
tokens, to read their audience as a resource server would; the resource is
<base>/api unless named).
"""

import asyncio
import sys
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urlparse

import httpx2
from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider
from mcp.client.auth.utils import extract_resource_metadata_from_www_auth
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

BASE, RS_ID, RS_SECRET = sys.argv[1:4]
API = sys.argv[4] if len(sys.argv) > 4 else f"{BASE}/api"
# RFC 9728 §3.1: the well-known segment between the host and the path.
_api = urlparse(API)
METADATA_URL = f"{_api.scheme}://{_api.netloc}/.well-known/oauth-protected-resource{_api.path}"
REDIRECT_URI = "http://127.0.0.1:33420/callback"
CLIENT_NAME = "MCP Python SDK interop"


class MemoryStorage:
    """An in-memory TokenStorage, what an MCP host keeps per server."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client_info = client_info


class Forms(HTMLParser):
    """The forms of a page: where each posts and its hidden fields."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.forms: list[tuple[str, list[tuple[str, str]]]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.forms.append((attributes.get("action", ""), []))
        elif tag == "input" and attributes.get("type") == "hidden" and self.forms:
            self.forms[-1][1].append((attributes["name"], attributes.get("value", "")))


def authorize_form(html: str, **values: str) -> str:
    """The page's form to /oauth/authorize (CSRF token and request kept), with ours set."""
    found = [fields for action, fields in Forms(html).forms if action == "/oauth/authorize"]
    assert found, f"a form to /oauth/authorize in:\n{html}"
    fields = [(name, value) for name, value in found[0] if name not in values]
    return urlencode(fields + list(values.items()))


class User:
    """The person at the browser: signs in as mike and presses Allow."""

    def __init__(self) -> None:
        self.authorization_url: str | None = None
        self.consent_page = ""
        self.callback: dict[str, list[str]] = {}

    async def redirect_handler(self, authorization_url: str) -> None:
        self.authorization_url = authorization_url
        form = {"content-type": "application/x-www-form-urlencoded", "origin": BASE}
        async with httpx2.AsyncClient(follow_redirects=False) as browser:
            login = await browser.get(authorization_url)
            assert login.status_code == 200, login.text
            consent = await browser.post(
                f"{BASE}/oauth/authorize",
                content=authorize_form(login.text, username="mike", password="pass"),
                headers=form,
            )
            assert consent.status_code == 200, consent.text
            self.consent_page = consent.text
            approved = await browser.post(
                f"{BASE}/oauth/authorize",
                content=authorize_form(consent.text, confirm="yes"),
                headers=form,
            )
            assert approved.status_code == 303, approved.text
            location = urlparse(approved.headers["location"])
            assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
            self.callback = parse_qs(location.query)

    async def callback_handler(self) -> AuthorizationCodeResult:
        one = lambda name: self.callback.get(name, [None])[0]  # noqa: E731
        return AuthorizationCodeResult(code=one("code"), state=one("state"), iss=one("iss"))


def form_of(request: httpx2.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


async def introspect(token: str) -> dict:
    """RFC 7662 as the resource server sees it."""
    async with httpx2.AsyncClient() as http:
        response = await http.post(
            f"{BASE}/oauth/introspect", data={"token": token}, auth=(RS_ID, RS_SECRET)
        )
        assert response.status_code == 200, response.text
        return response.json()


async def main() -> None:
    storage = MemoryStorage()
    user = User()
    responses: list[httpx2.Response] = []

    async def record(response: httpx2.Response) -> None:
        responses.append(response)

    provider = OAuthClientProvider(
        server_url=API,
        client_metadata=OAuthClientMetadata(
            client_name=CLIENT_NAME,
            redirect_uris=[REDIRECT_URI],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
        ),
        storage=storage,
        redirect_handler=user.redirect_handler,
        callback_handler=user.callback_handler,
    )
    async with httpx2.AsyncClient(auth=provider, event_hooks={"response": [record]}) as client:
        # One call: the SDK runs the whole chain inside it.
        called = await client.get(API)
        assert called.status_code == 200, called.text
        answer = called.json()

        seen = [f"{r.request.method} {r.request.url} {r.status_code}" for r in responses]
        trail = "\n".join(seen)
        # The resource's 401 names its metadata (RFC 9728 §5.1), read by
        # the SDK's own parser; the metadata was fetched from there.
        assert seen[0] == f"GET {API} 401", trail
        named = extract_resource_metadata_from_www_auth(responses[0])
        assert named == METADATA_URL, responses[0].headers.get("www-authenticate")
        assert seen[1] == f"GET {METADATA_URL} 200", trail
        assert f"GET {BASE}/.well-known/oauth-authorization-server 200" in seen, trail
        assert f"POST {BASE}/oauth/register 201" in seen, trail
        assert f"POST {BASE}/oauth/token 200" in seen, trail
        assert seen[-1] == f"GET {API} 200", trail

        client_info = storage.client_info
        assert client_info is not None and client_info.client_id
        assert [str(u) for u in client_info.redirect_uris or []] == [REDIRECT_URI]
        assert client_info.token_endpoint_auth_method == "none"

        asked = parse_qs(urlparse(user.authorization_url).query)
        assert asked["client_id"] == [client_info.client_id]
        assert asked["resource"] == [API], "RFC 8707: the resource from its metadata"
        assert asked["code_challenge_method"] == ["S256"] and asked["code_challenge"]
        assert "profile" in asked["scope"][0].split(), asked["scope"]
        assert CLIENT_NAME in user.consent_page

        exchange = next(r.request for r in responses if "grant_type=authorization_code" in r.request.content.decode())
        exchanged = form_of(exchange)
        assert exchanged["resource"] == API, "RFC 8707 at the token endpoint too"
        assert exchanged["code_verifier"]

        first = storage.tokens
        assert first is not None and first.refresh_token, "a refresh token"
        assert answer["client_id"] == client_info.client_id and answer["username"] == "mike", answer
        info = await introspect(first.access_token)
        assert info["active"] and info["aud"] == API, info

        # The access token expires; the SDK refreshes before the next call.
        await asyncio.sleep((first.expires_in or 0) + 1.5)
        before = len(responses)
        again = await client.get(API)
        assert again.status_code == 200, again.text
        refresh = [r for r in responses[before:] if "grant_type=refresh_token" in r.request.content.decode()]
        assert refresh and refresh[0].status_code == 200, "the SDK refreshed"
        assert form_of(refresh[0].request)["resource"] == API
        second = storage.tokens
        assert second is not None and second.access_token != first.access_token
        assert second.refresh_token and second.refresh_token != first.refresh_token, "rotated"
        assert (await introspect(second.access_token))["aud"] == API

    # Rotation: the old refresh token is refused, and its replay revokes
    # the whole family, the new access token included.
    async with httpx2.AsyncClient() as http:
        replay = await http.post(
            f"{BASE}/oauth/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": first.refresh_token,
                "client_id": client_info.client_id,
            },
        )
        assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant", replay.text
        revoked = await http.get(API, headers={"authorization": f"Bearer {second.access_token}"})
        assert revoked.status_code == 401, "the family is revoked after a replay"

    print(f"mcp (Python) {client_info.client_id} at {API}: 401, metadata, registered, consented, exchanged, called, refreshed, rotated")


asyncio.run(main())
