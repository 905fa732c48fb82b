"""Routing rules alone: facts in, an owner out."""

from __future__ import annotations

import pytest

from feedback.cases.rules import CaseFacts, Rule, decide, validate_rule
from feedback.errors import Invalid


def facts(**kwargs: object) -> CaseFacts:
    base: dict = {"kind": "nps", "survey": "s1", "context": {}, "themes": {}}
    base.update(kwargs)
    return CaseFacts(**base)


PRICING = Rule(1, {"theme": "pricing"}, owner_id=10)
BILLING_TEAM = Rule(2, {"kind": "csat", "team": ["Billing", "Payments"]}, owner_id=20)
ENTERPRISE = Rule(3, {"segment": {"field": "company_size", "value": "enterprise"}}, owner_id=30)


def test_the_first_rule_that_holds_names_the_owner() -> None:
    rules = [PRICING, BILLING_TEAM, ENTERPRISE]
    both = facts(kind="csat", context={"team": "billing"}, themes={"pricing": "negative"})
    assert decide(rules, both, [], 0).owner_id == 10
    assert decide(rules[1:], both, [], 0).assigned_by == "rule:2"


def test_a_theme_routes_only_when_the_comment_complains_about_it() -> None:
    praised = facts(themes={"pricing": "positive", "support": "negative"})
    assert decide([PRICING], praised, [5], 0).assigned_by == "round_robin"
    mixed = facts(themes={"pricing": "mixed"})
    assert decide([PRICING], mixed, [5], 0).owner_id == 10


def test_team_and_segment_compare_without_case_and_accept_lists() -> None:
    support = facts(kind="csat", context={"team": "PAYMENTS"})
    assert decide([BILLING_TEAM], support, [], 0).owner_id == 20
    assert decide([BILLING_TEAM], facts(context={"team": "Payments"}), [], 0).owner_id is None
    big = facts(context={"company_size": "Enterprise"})
    assert decide([ENTERPRISE], big, [], 0).owner_id == 30


def test_theme_owners_come_after_rules_and_before_round_robin() -> None:
    f = facts(themes={"onboarding": "negative"})
    assert decide([], f, [7, 8], 0, {"onboarding": 40}).assigned_by == "theme:onboarding"
    assert decide([Rule(9, {"kind": "nps"}, 50)], f, [], 0, {"onboarding": 40}).owner_id == 50


def test_round_robin_takes_handlers_in_turn() -> None:
    owners = [decide([], facts(), [30, 10, 20], turn).owner_id for turn in range(4)]
    assert owners == [10, 20, 30, 10]
    assert decide([], facts(), [10], 0).rotated == 1


def test_nobody_to_route_to_leaves_the_case_unassigned() -> None:
    decision = decide([PRICING], facts(), [], 0)
    assert (decision.owner_id, decision.assigned_by) == (None, None)


@pytest.mark.parametrize(
    ("conditions", "field"),
    [
        ({}, "conditions"),
        ({"colour": "red"}, "colour"),
        ({"kind": "stars"}, "conditions.kind"),
        ({"theme": ""}, "conditions.theme"),
        ({"team": []}, "conditions.team"),
        ({"segment": {"field": "size"}}, "conditions.segment"),
        ({"agent": 7}, "conditions.agent"),
    ],
)
def test_a_bad_rule_is_refused_naming_the_condition(conditions: dict, field: str) -> None:
    with pytest.raises(Invalid) as error:
        validate_rule(conditions)
    assert error.value.field == field


def test_a_good_rule_is_cleaned() -> None:
    cleaned = validate_rule({"theme": " pricing ", "segment": {"field": "plan", "value": ["Pro"]}})
    assert cleaned == {"theme": "pricing", "segment": {"field": "plan", "value": ["Pro"]}}
