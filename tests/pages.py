"""Signing in to the dashboard in tests: members, CSRF tokens, a signed-in client."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from feedback.accounts import workspaces
from feedback.extensions import db

PASSWORD = "correct horse battery"


def member(t, email: str, role: str) -> str:
    workspaces.add_user(t.workspace, email, PASSWORD, role)
    db.session.commit()
    return email


def csrf(client: FlaskClient, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD) -> object:
    token = csrf(client, "/app/login")
    return client.post(
        "/app/login", data={"email": email, "password": password, "csrf_token": token}
    )


def say(client: FlaskClient, t, survey, rid: str, score: int, text: str) -> None:
    fid = "improve" if score <= 6 else "make_it_10" if score <= 8 else "love"
    body = {
        "survey": survey.public_id,
        "score": score,
        "answers": {fid: text},
        "context": {"plan": "Pro"},
    }
    assert client.put(t.public(f"/responses/{rid}"), json=body).status_code == 201
