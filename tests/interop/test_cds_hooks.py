"""CDS Hooks 2.0 services without the web layer: discovery, request checks, prefetch, cards."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from palpa.interop import cds_hooks, order_codes
from palpa.interop.cds_cards import short_title, summary_text
from palpa.interop.cds_hooks import SERVICES, CdsRequestError, parse_request, respond
from palpa.knowledge.loader import load_knowledge
from tests.interop.cds_support import (
    MANIPULATION,
    MANUAL_THERAPY_CPT,
    PATIENT_ID,
    complaint,
    finding,
    hook_request,
    order_context,
    prefetch,
    service_request,
    spec_example,
    startback,
)

KB = load_knowledge()
INDICATORS = ("info", "warning", "critical")
# every attribute the spec defines for a card, a source, a suggestion and an action
CARD_KEYS = {"uuid", "summary", "detail", "indicator", "source", "suggestions", "selectionBehavior",
             "overrideReasons", "links"}
SOURCE_KEYS = {"label", "url", "icon", "topic"}


def call(service_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return respond(SERVICES[service_id], parse_request(orjson.dumps(body)), KB)


def check_card(card: dict[str, Any]) -> None:
    """A card as the spec's Card Attributes define it, with Palpa's own guarantees."""
    assert set(card) <= CARD_KEYS, set(card) - CARD_KEYS
    assert isinstance(card["summary"], str) and 0 < len(card["summary"]) < 140
    assert card["indicator"] in INDICATORS
    assert set(card["source"]) <= SOURCE_KEYS and card["source"]["label"]
    assert card["source"]["url"].startswith("http")
    assert {"system", "code", "display"} <= set(card["source"]["topic"])
    assert len(card["uuid"]) == 36
    for value in card.values():
        assert value not in (None, "", [], {})  # the spec forbids null and empty members
    if "suggestions" in card:
        assert card["selectionBehavior"] in ("at-most-one", "any")
        for s in card["suggestions"]:
            assert s["label"] and s["uuid"]
            for action in s["actions"]:
                assert action["type"] in ("create", "update", "delete") and action["description"]
                assert ("resource" in action) != ("resourceId" in action)
    for reason in card.get("overrideReasons", []):
        assert reason["display"] and reason["code"] and reason["system"]


def test_discovery_has_the_spec_example_shape() -> None:
    spec = spec_example("discovery.json")
    ours = cds_hooks.discovery()
    assert set(ours) == set(spec)
    spec_keys = set().union(*(s.keys() for s in spec["services"]))
    by_hook = {s["hook"]: s for s in ours["services"]}
    assert set(by_hook) == {"patient-view", "order-select", "order-sign"}
    for service in ours["services"]:
        assert set(service) <= spec_keys
        assert {"hook", "description", "id"} <= set(service)
        assert service["prefetch"]["patient"] == "Patient/{{context.patientId}}"
        assert service["prefetch"]["conditions"] == "Condition?patient={{context.patientId}}"
        assert service["prefetch"]["observations"].startswith("Observation?patient={{context.patientId}}")


def test_spec_patient_view_request_parses_and_lacks_our_prefetch() -> None:
    req = parse_request(orjson.dumps(spec_example("patient-view-request.json")))
    assert req.hook == "patient-view" and req.fhir_server == "http://hooks.smarthealthit.org:9080"
    assert req.access_token == "some-opaque-fhir-access-token"
    missing = cds_hooks.missing_prefetch(SERVICES["palpa-patient-view"], req)
    assert missing == {"patient": "Patient/1288992", "conditions": "Condition?patient=1288992",
                       "observations": "Observation?patient=1288992",
                       "questionnaireResponses": "QuestionnaireResponse?patient=1288992"}


@pytest.mark.parametrize(("change", "field"), [
    (lambda b: b.pop("hook"), "hook"),
    (lambda b: b.pop("hookInstance"), "hookInstance"),
    (lambda b: b.update(context=[1]), "context"),
    (lambda b: b.update(prefetch="x"), "prefetch"),
    (lambda b: b.pop("fhirServer"), "fhirServer"),
    (lambda b: b["fhirAuthorization"].update(token_type="MAC"), "fhirAuthorization.token_type"),
    (lambda b: b["fhirAuthorization"].pop("access_token"), "access_token"),
])
def test_malformed_requests_name_the_field(change: Any, field: str) -> None:
    body = spec_example("patient-view-request.json")
    change(body)
    with pytest.raises(CdsRequestError) as err:
        parse_request(orjson.dumps(body))
    assert err.value.field == field and field in str(err.value)


def test_not_json_is_refused() -> None:
    with pytest.raises(CdsRequestError, match="field 'body'"):
        parse_request(b"{not json")


def test_red_flag_patient_gets_critical_cards_citing_the_rule() -> None:
    body = hook_request("patient-view", {"patientId": PATIENT_ID}, prefetch(
        [complaint()], [finding("saddle_anesthesia"), finding("bladder_dysfunction_new")]))
    cards = call("palpa-patient-view", body)["cards"]
    for card in cards:
        check_card(card)
    triage, flag = cards[0], cards[1]
    assert triage["summary"].startswith("Palpa triage: Emergency") and triage["indicator"] == "critical"
    assert flag["indicator"] == "critical" and "cauda equina" in flag["summary"]
    rule = next(r for r in KB.red_flag_rules if r.id == flag["source"]["topic"]["code"])
    assert rule.flag == "cauda_equina_syndrome"
    assert flag["source"]["label"] == short_title(KB.sources[rule.source])
    assert flag["source"]["url"] == KB.sources[rule.source].url
    assert len({c["uuid"] for c in cards}) == len(cards)


def test_refer_flag_is_a_warning_and_clean_patient_gets_one_info_card() -> None:
    pre = prefetch([complaint()], [finding("unexplained_weight_loss")])
    cards = call("palpa-patient-view", hook_request("patient-view", {"patientId": PATIENT_ID}, pre))
    assert [(c["summary"].split(" - ")[0].split(" (")[0], c["indicator"]) for c in cards["cards"]] == [
        ("Palpa triage: Refer", "warning"), ("Suspected spinal or bone malignancy", "warning")]
    clean = call("palpa-patient-view", hook_request("patient-view", {"patientId": PATIENT_ID},
                                                    prefetch([complaint()], [])))["cards"]
    assert [c["indicator"] for c in clean] == ["info"]
    assert clean[0]["summary"].startswith("Palpa triage: Treat")
    check_card(clean[0])


def test_start_back_card_when_the_answers_are_present() -> None:
    pre = prefetch([complaint()], [])
    pre["questionnaireResponses"] = {"resourceType": "Bundle", "type": "searchset",
                                     "entry": [{"resource": startback([1, 1, 1, 1, 1, 1, 1, 1, 1])}]}
    cards = call("palpa-patient-view", hook_request("patient-view", {"patientId": PATIENT_ID}, pre))["cards"]
    sb = [c for c in cards if c["summary"].startswith("STarT Back")]
    assert len(sb) == 1 and "high risk" in sb[0]["summary"] and sb[0]["indicator"] == "warning"
    check_card(sb[0])
    without = call("palpa-patient-view", hook_request("patient-view", {"patientId": PATIENT_ID},
                                                      prefetch([complaint()], [])))["cards"]
    assert not any(c["summary"].startswith("STarT Back") for c in without)


def test_manipulation_order_for_osteoporosis_is_critical_with_override_reasons_and_safer_suggestion() -> None:
    for hook, service in (("order-select", "palpa-order-select"), ("order-sign", "palpa-order-sign")):
        context = order_context(service_request(MANIPULATION), selections=["ServiceRequest/mt-1"])
        body = hook_request(hook, context, prefetch([complaint()], [finding("osteoporosis")]))
        cards = call(service, body)["cards"]
        assert len(cards) == 1
        card = cards[0]
        check_card(card)
        assert card["indicator"] == "critical" and card["source"]["topic"]["code"] == "osteoporosis"
        assert len(card["overrideReasons"]) >= 2 and card["selectionBehavior"] == "at-most-one"
        action = card["suggestions"][0]["actions"][0]
        assert action["type"] == "update" and action["resource"]["id"] == "mt-1"
        suggested = order_codes.techniques_of(action["resource"])
        assert suggested == ("joint_mobilization",)
        # the suggested technique is one the assessment does not restrict
        case = {"id": "x", "age": 66, "sex": "male", "region": "lumbar", "duration_days": 40,
                "findings": ["osteoporosis"]}
        from palpa.service import assess_json_case
        status = {t.technique: t.status for t in assess_json_case(orjson.dumps(case), KB).techniques}
        assert status["joint_mobilization"] in ("recommended", "suitable")
        assert status["joint_manipulation"] == "contraindicated"


def test_relative_contraindication_gives_a_warning() -> None:
    body = hook_request("order-sign", order_context(service_request(MANIPULATION)),
                        prefetch([complaint()], [finding("prolonged_corticosteroid_use")]))
    cards = call("palpa-order-sign", body)["cards"]
    assert [c["indicator"] for c in cards] == ["warning"]
    check_card(cards[0])
    assert cards[0]["overrideReasons"]


def test_safe_order_gets_no_card() -> None:
    body = hook_request("order-sign", order_context(service_request(MANIPULATION)),
                        prefetch([complaint()], [finding("segmental_hypomobility")]))
    assert call("palpa-order-sign", body) == {"cards": []}


def test_generic_manual_therapy_order_lists_what_is_restricted() -> None:
    body = hook_request("order-sign", order_context(service_request(MANUAL_THERAPY_CPT)),
                        prefetch([complaint()], [finding("osteoporosis")]))
    cards = call("palpa-order-sign", body)["cards"]
    assert len(cards) == 1 and cards[0]["indicator"] == "critical"
    assert "joint manipulation" in cards[0]["summary"]
    check_card(cards[0])


def test_emergency_patient_order_suggests_removing_it_when_nothing_is_safe() -> None:
    body = hook_request("order-sign", order_context(service_request(MANIPULATION)),
                        prefetch([complaint()], [finding("saddle_anesthesia"),
                                                 finding("bladder_dysfunction_new")]))
    card = call("palpa-order-sign", body)["cards"][0]
    check_card(card)
    assert card["indicator"] == "critical"
    assert card["suggestions"][0]["actions"] == [{"type": "delete", "description": "Remove the draft joint "
                                                  "manipulation order", "resourceId": "ServiceRequest/mt-1"}]


def test_order_select_checks_only_the_selected_orders() -> None:
    other = service_request(MANIPULATION, rid="mt-2")
    body = hook_request("order-select", order_context(service_request(MANIPULATION), other,
                                                      selections=["ServiceRequest/mt-2"]),
                        prefetch([complaint()], [finding("osteoporosis")]))
    cards = call("palpa-order-select", body)["cards"]
    assert len(cards) == 1
    assert cards[0]["suggestions"][0]["actions"][0]["resource"]["id"] == "mt-2"


@pytest.mark.parametrize(("name", "hook", "service"), [
    ("order-select-context-r4.json", "order-select", "palpa-order-select"),
    ("order-sign-context-r4.json", "order-sign", "palpa-order-sign"),
])
def test_spec_order_examples_are_not_manual_therapy(name: str, hook: str, service: str) -> None:
    context = spec_example(name)["context"]
    body = hook_request(hook, context, prefetch([complaint()], [finding("osteoporosis")]))
    assert call(service, body) == {"cards": []}
    bare = parse_request(orjson.dumps(hook_request(hook, context)))
    assert not cds_hooks.has_work(SERVICES[service], bare)


def test_wrong_patient_in_prefetch_is_refused() -> None:
    body = hook_request("patient-view", {"patientId": "other"}, prefetch([complaint()], []))
    with pytest.raises(CdsRequestError, match=r"prefetch\.patient"):
        call("palpa-patient-view", body)


def test_hook_must_match_the_service() -> None:
    body = hook_request("order-sign", {"patientId": PATIENT_ID}, prefetch([complaint()], []))
    with pytest.raises(CdsRequestError, match="field 'hook'"):
        call("palpa-patient-view", body)


def test_record_without_a_region_gives_an_info_card_saying_why() -> None:
    cards = call("palpa-patient-view", hook_request("patient-view", {"patientId": PATIENT_ID},
                                                    prefetch([], [finding("osteoporosis")])))["cards"]
    assert [c["indicator"] for c in cards] == ["info"]
    assert cards[0]["summary"].startswith("Palpa could not screen this patient")
    check_card(cards[0])


def test_summaries_are_cut_under_140_characters() -> None:
    assert summary_text("x " * 200).endswith("…") and len(summary_text("x " * 200)) < 140
    assert summary_text("short  text\n") == "short text"


def test_short_titles() -> None:
    assert short_title(KB.sources["finucane2020_red_flags"]) == "Finucane et al. 2020"
    assert short_title(KB.sources["cook2012_orthopedic_manual_therapy"]) == "Cook 2012"
