"""Who a public call says it is: a claim, unless the host's server signed the user id."""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from feedback import jobs
from feedback.accounts import workspaces
from feedback.email.invites import InviteInput, create_invites
from feedback.extensions import db
from feedback.responses.models import Display, Respondent, Response
from feedback.surveys.models import Survey
from tests.factories import Tenant, make_survey, make_tenant, signed
from tests.hosted_forms import answer
from tests.mail import parts, path_of, score_links

VICTIM = {"id": "u-ann", "email": "ann@example.com", "traits": {"plan": "Enterprise"}}
ATTACKER = "mallory@evil.example"


@pytest.fixture
def tenant(client: FlaskClient) -> Tenant:
    return make_tenant(client)


@pytest.fixture
def survey(tenant: Tenant) -> Survey:
    return make_survey(tenant.workspace, "nps")


def put(tenant: Tenant, survey: Survey, client_id: str, respondent: Any, **body: Any) -> Any:
    payload = {"survey": survey.public_id, "score": 3, "respondent": respondent, **body}
    return tenant.client.put(tenant.public(f"/responses/{client_id}"), json=payload)


def stored(client_id: str) -> Response:
    db.session.expire_all()
    return db.session.scalar(select(Response).where(Response.client_id == client_id))


def person(external_id: str) -> Respondent:
    db.session.expire_all()
    return db.session.scalar(select(Respondent).where(Respondent.external_id == external_id))


def count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_hash_is_the_hex_hmac_sha256_of_the_user_id(tenant: Tenant) -> None:
    secret = tenant.workspace.identity_secret
    assert secret and re.fullmatch(r"[0-9a-f]{64}", secret)
    # What docs/widget.md tells a host's server to make, computed here independently.
    expected = hmac.new(secret.encode(), b"u-ann", hashlib.sha256).hexdigest()
    assert signed(tenant.workspace, {"id": "u-ann"})["user_hash"] == expected


def test_each_new_workspace_gets_its_own_identity_secret(client: FlaskClient) -> None:
    one, two = workspaces.create_workspace("One"), workspaces.create_workspace("Two")
    assert one.identity_secret and two.identity_secret
    assert one.identity_secret != two.identity_secret


def test_a_claim_never_overwrites_a_verified_email_or_traits(
    tenant: Tenant, survey: Survey
) -> None:
    assert put(tenant, survey, "ann-00001", signed(tenant.workspace, VICTIM)).status_code == 201
    # The attack: the public key is in every host page, and no Origin means no allow-list.
    claim = {"id": "u-ann", "email": ATTACKER, "traits": {"plan": "Free"}}
    res = put(tenant, survey, "evil-0001", claim, answers={"improve": "Mail me her replies"})
    assert res.status_code == 201
    ann = person("u-ann")
    assert (ann.email, ann.traits) == ("ann@example.com", {"plan": "Enterprise"})
    theirs, hers = stored("evil-0001"), stored("ann-00001")
    assert (theirs.identity, theirs.claimed_email, theirs.plan) == ("claimed", ATTACKER, "Free")
    assert (hers.identity, hers.claimed_email, hers.plan) == ("verified", None, "Enterprise")
    # Linked by the id it claimed, so throttling holds for whoever sent it.
    assert theirs.respondent_id == ann.id


def test_a_respondent_made_only_by_claims_has_no_verified_email(
    tenant: Tenant, survey: Survey
) -> None:
    claim = {"id": "u-bob", "email": "bob@example.com", "traits": {"plan": "Pro"}}
    assert put(tenant, survey, "bob-00001", claim).status_code == 201
    display = {"survey": survey.public_id, "respondent": claim}
    assert (
        tenant.client.post(tenant.public("/displays/bob-disp-1"), json=display).status_code == 201
    )
    bob = person("u-bob")
    assert (bob.email, bob.traits) == (None, {})
    assert bob.last_shown_at is not None and bob.last_responded_at is not None
    # An address with neither an id nor a browser's anonymous id names nobody at all.
    assert put(tenant, survey, "nobody-01", {"email": "eve@example.com"}).status_code == 201
    assert stored("nobody-01").respondent_id is None
    assert stored("nobody-01").claimed_email == "eve@example.com"
    assert count(Respondent) == 1


def test_a_correctly_signed_identify_updates_the_respondent(tenant: Tenant, survey: Survey) -> None:
    assert put(tenant, survey, "ann-00001", {"id": "u-ann", "email": ATTACKER}).status_code == 201
    assert person("u-ann").email is None
    assert put(tenant, survey, "ann-00002", signed(tenant.workspace, VICTIM)).status_code == 201
    ann = person("u-ann")
    assert (ann.email, ann.traits) == ("ann@example.com", {"plan": "Enterprise"})
    assert stored("ann-00002").identity == "verified"
    # A numeric id is signed as its text, as the widget sends it.
    numeric = signed(tenant.workspace, {"id": "42", "email": "n@example.com"}) | {"id": 42}
    assert put(tenant, survey, "num-00001", numeric).status_code == 201
    assert person("42").email == "n@example.com"
    # A later signed call with a new address is a fact too.
    moved = signed(tenant.workspace, {"id": "u-ann", "email": "ann@new.example"})
    assert put(tenant, survey, "ann-00003", moved).status_code == 201
    assert person("u-ann").email == "ann@new.example"


@pytest.mark.parametrize(
    "call",
    ["put", "post", "display", "eligibility"],
)
def test_a_wrong_hash_is_refused_and_nothing_is_stored(
    tenant: Tenant, survey: Survey, call: str
) -> None:
    forged = {**VICTIM, "email": ATTACKER, "user_hash": "0" * 64}
    body = {"survey": survey.public_id, "score": 3, "respondent": forged}
    urls = {
        "put": ("put", "/responses/forged-001"),
        "post": ("post", "/responses"),
        "display": ("post", "/displays/forged-d01"),
        "eligibility": ("post", "/eligibility"),
    }
    method, path = urls[call]
    if call == "post":
        body["id"] = "forged-002"
    if call == "eligibility":
        body = {"url": "https://app.example.com/", "respondent": forged}
    res = getattr(tenant.client, method)(tenant.public(path), json=body)
    assert res.status_code == 403
    error = res.json["error"]
    assert (error["code"], error["field"]) == ("identity_invalid", "respondent.user_hash")
    assert "HMAC-SHA256" in error["message"] and "docs/widget.md" in error["message"]
    assert (count(Response), count(Display), count(Respondent)) == (0, 0, 0)


def test_a_hash_signs_an_id_and_nothing_else(tenant: Tenant, survey: Survey) -> None:
    hashed = signed(tenant.workspace, {"id": "u-ann"})["user_hash"]
    res = put(tenant, survey, "noid-0001", {"email": "ann@example.com", "user_hash": hashed})
    assert res.status_code == 422 and res.json["error"]["field"] == "respondent.id"
    # Ann's hash does not vouch for Bob.
    res = put(tenant, survey, "swap-0001", {"id": "u-bob", "user_hash": hashed})
    assert res.json["error"]["code"] == "identity_invalid"
    res = put(tenant, survey, "type-0001", {"id": "u-ann", "user_hash": 12})
    assert res.status_code == 422 and res.json["error"]["field"] == "respondent.user_hash"


def test_required_verification_refuses_unsigned_ids_and_welcomes_the_rest(
    tenant: Tenant, survey: Survey
) -> None:
    res = tenant.patch("/api/v1/workspace", json={"require_verified_identity": True})
    assert res.status_code == 200 and res.json["require_verified_identity"] is True
    for claim in ({"id": "u-ann"}, {"email": "ann@example.com"}, {**VICTIM}):
        res = put(tenant, survey, "claim-001", claim)
        assert res.status_code == 403, claim
        error = res.json["error"]
        assert error["code"] == "identity_unverified"
        assert "requires identify() with a user hash" in error["message"]
        assert "docs/widget.md" in error["message"]
    asked = tenant.client.post(tenant.public("/eligibility"), json={"respondent": {"id": "u-ann"}})
    assert asked.json["error"]["code"] == "identity_unverified"
    assert count(Response) == 0
    # Signed: stored, as a fact.
    assert put(tenant, survey, "signed-01", signed(tenant.workspace, VICTIM)).status_code == 201
    assert person("u-ann").email == "ann@example.com"
    # Anonymous visitors (a browser's id, traits for targeting) still answer.
    anonymous = {"traits": {"plan": "Free"}}
    res = put(tenant, survey, "anon-0001", anonymous, anonymous_id="anon-12345678")
    assert res.status_code == 201
    assert put(tenant, survey, "anon-0002", None).status_code == 201
    asked = tenant.client.post(tenant.public("/eligibility"), json={"anonymous_id": "anon-1234"})
    assert asked.status_code == 200
    # And the setting is a plain boolean.
    bad = tenant.patch("/api/v1/workspace", json={"require_verified_identity": "yes"})
    assert bad.status_code == 422 and bad.json["error"]["field"] == "require_verified_identity"


def test_rotating_the_secret_by_api_invalidates_old_hashes(tenant: Tenant, survey: Survey) -> None:
    old = signed(tenant.workspace, VICTIM)
    assert put(tenant, survey, "before-01", old).status_code == 201
    rotated = tenant.post("/api/v1/workspace/identity-secret")
    assert rotated.status_code == 200
    secret = rotated.json["identity_secret"]
    assert re.fullmatch(r"[0-9a-f]{64}", secret) and secret != old["user_hash"]
    res = put(tenant, survey, "after-001", old)
    assert res.status_code == 403 and res.json["error"]["code"] == "identity_invalid"
    db.session.refresh(tenant.workspace)
    assert tenant.workspace.identity_secret == secret
    assert put(tenant, survey, "after-002", signed(tenant.workspace, VICTIM)).status_code == 201
    # The secret is shown once: the settings say only whether one is set.
    shown = tenant.get("/api/v1/workspace").json
    assert shown["identity_secret_set"] is True and secret not in str(shown)
    assert "identity_secret" not in shown


def test_only_a_write_key_rotates_the_secret(tenant: Tenant) -> None:
    issued = workspaces.create_api_key(tenant.workspace, "reader", ["read"])
    db.session.commit()
    before = tenant.workspace.identity_secret
    res = tenant.client.post(
        "/api/v1/workspace/identity-secret", headers={"Authorization": f"Bearer {issued.secret}"}
    )
    assert res.status_code == 403
    assert tenant.client.post("/api/v1/workspace/identity-secret").status_code == 401
    db.session.refresh(tenant.workspace)
    assert tenant.workspace.identity_secret == before


def test_an_email_invite_is_a_verified_source(
    client: FlaskClient, tenant: Tenant, smtp: Any
) -> None:
    survey = make_survey(tenant.workspace, "nps", channels=["email"])
    # Somebody claimed u-cat first with their own address.
    widget = make_survey(tenant.workspace, "csat")
    assert put(tenant, widget, "cat-00001", {"id": "u-cat", "email": ATTACKER}).status_code == 201
    # (Long enough ago for the recontact wait.)
    db.session.execute(
        Respondent.__table__.update().values(last_shown_at=None, last_responded_at=None)
    )
    db.session.commit()
    invitee = InviteInput(email="cat@example.com", external_id="u-cat")
    create_invites(tenant.workspace, survey.public_id, [invitee])
    assert jobs.send_due_invites() == 1
    [message] = smtp.inbox.messages
    answer(client, path_of(score_links(parts(message)[0])[3]))
    cat = person("u-cat")
    assert cat.email == "cat@example.com"
    answered = db.session.scalar(select(Response).where(Response.channel == "email"))
    assert (answered.identity, answered.claimed_email, answered.respondent_id) == (
        "verified",
        None,
        cat.id,
    )
