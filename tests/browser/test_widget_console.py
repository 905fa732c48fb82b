"""What the widget tells a site's developer: each failure it cannot get past, once, with its fix.

These lines show without debug mode, as warnings, and nothing is thrown into the page.
"""

from __future__ import annotations

import json

import pytest

from tests.browser.helpers import SNIPPET

pytestmark = pytest.mark.browser

QUIET = SNIPPET.replace(",debug:true", "")


def _page(live, key: str, script: str, path: str = "/console") -> str:
    loader = QUIET.format(app=live.origin, key=key)
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>App</title>'
        f"<script>{loader}\n{script}</script></head><body><h1>App</h1></body></html>"
    )
    return live.host.add(path, html)


def _warnings(watched) -> list[str]:
    return [line for line in watched.console if line.startswith("warning: [feedback]")]


def _settle(page) -> None:
    page.wait_for_timeout(800)  # every call of the page has had its answer


def test_an_unknown_survey_is_named_once(live, tenant, watched):
    t = tenant({"nps": {"kind": "nps"}})
    page = watched.page
    script = "feedback('show', 's_nope'); feedback('show', 's_nope');"
    page.goto(_page(live, t.key, script))
    _settle(page)
    assert _warnings(watched) == [
        "warning: [feedback] refused: not_found: check the survey id given to show()."
        " No survey 's_nope' in this workspace."
    ]
    assert watched.errors == []


def test_identify_without_a_required_hash_says_how_to_make_one(live, tenant, watched):
    t = tenant({"nps": {"kind": "nps"}}, require_verified_identity=True)
    page = watched.page
    script = (
        "feedback('identify', 'user-1'); setTimeout(function () { feedback('track', 'x'); }, 200);"
    )
    page.goto(_page(live, t.key, script))
    _settle(page)
    (line,) = _warnings(watched)
    assert "refused: identity_unverified: " in line
    assert "user hash made on your server" in line and "docs/widget.md" in line
    assert live.responses(t.id) == [] and watched.errors == []


def test_a_wrong_hash_says_which_secret_to_use(live, tenant, watched):
    t = tenant({"nps": {"kind": "nps"}})
    page = watched.page
    page.goto(_page(live, t.key, "feedback('identify', 'user-1', {userHash: 'f00d'});"))
    _settle(page)
    (line,) = _warnings(watched)
    assert "refused: identity_invalid: " in line and "identity secret" in line


def test_init_without_a_key_says_where_to_find_it(live, watched):
    page = watched.page
    page.goto(_page(live, "", ""))
    _settle(page)
    (line,) = _warnings(watched)
    assert "init needs the public key from Settings" in line
    assert watched.errors == []


@pytest.mark.parametrize(
    ("status", "code", "fix"),
    [
        # The server's own message names the origin and where to add it.
        (403, "origin_not_allowed", ""),
        (404, "unknown_key", "check the key in the snippet (Settings shows it)."),
    ],
)
def test_a_readable_refusal_of_the_set_up_names_the_fix(live, tenant, watched, status, code, fix):
    # The server's refusal as a browser can read it (Access-Control-Allow-Origin on it too).
    t = tenant({"nps": {"kind": "nps"}})
    page = watched.page
    body = {"error": {"code": code, "message": "Refused.", "field": "origin"}}
    page.route(
        f"{live.origin}/api/**",
        lambda route: route.fulfill(
            status=status,
            body=json.dumps(body),
            headers={
                "Content-Type": "application/json",
                "Access-Control-Allow-Origin": live.host.origin,
            },
        ),
    )
    page.goto(_page(live, t.key, "feedback('track', 'again');"))
    _settle(page)
    assert _warnings(watched) == [
        f"warning: [feedback] refused: {code}: {fix}{' ' if fix else ''}Refused."
    ]
    assert watched.errors == []
