"""CDS Hooks 2.0 services: discovery, request checks, prefetch -> contract case -> assessment -> cards.

Pure mapping, no web imports: the web layer (palpa.web.cds) parses the body with
`parse_request`, asks `missing_prefetch` what it still has to fetch (or answers 412), and
calls `respond`. A context the services cannot use (no patient id, no draft orders, orders
that are not manual therapy) yields `{"cards": []}`, never an exception; a malformed body
raises `CdsRequestError` naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson

from palpa.codec import CaseError
from palpa.core.knowledge import KnowledgeBase
from palpa.core.models import Assessment, TechniqueAssessment
from palpa.interop import cds_cards, order_codes
from palpa.interop.cds_settings import CardSettings, load_card_settings
from palpa.interop.fhir_import import Unmapped, case_from_resources
from palpa.service import assess_json_case

PREFETCH: dict[str, str] = {
    "patient": "Patient/{{context.patientId}}",
    "conditions": "Condition?patient={{context.patientId}}",
    "observations": "Observation?patient={{context.patientId}}",
}
# STarT Back answers, read when given; a client that does not send them still gets every other card.
OPTIONAL_PREFETCH: dict[str, str] = {
    "questionnaireResponses": "QuestionnaireResponse?patient={{context.patientId}}",
}
ORDER_TYPES = frozenset({"ServiceRequest"})
_TOKEN = re.compile(r"\{\{\s*context\.([A-Za-z0-9_]+)\s*\}\}")


@dataclass(frozen=True, slots=True)
class ServiceDef:
    """One CDS Service as the discovery document lists it."""

    id: str
    hook: str
    title: str
    description: str
    prefetch: Mapping[str, str]
    optional: frozenset[str] = frozenset()

    def as_json(self) -> dict[str, Any]:
        return {"hook": self.hook, "title": self.title, "description": self.description, "id": self.id,
                "prefetch": dict(self.prefetch)}


SERVICES: dict[str, ServiceDef] = {s.id: s for s in (
    ServiceDef("palpa-patient-view", "patient-view", "Palpa red-flag screen and triage",
               "Screens the patient's coded conditions and observations for red flags of serious "
               "pathology, gives the triage level with what to do, and the STarT Back risk group "
               "when its answers are recorded.", {**PREFETCH, **OPTIONAL_PREFETCH},
               frozenset(OPTIONAL_PREFETCH)),
    ServiceDef("palpa-order-select", "order-select", "Palpa manual therapy safety check (order select)",
               "Checks a selected draft order for manual therapy or manipulation against the patient's "
               "contraindications and suggests a safer technique.", PREFETCH),
    ServiceDef("palpa-order-sign", "order-sign", "Palpa manual therapy safety check (order sign)",
               "Checks draft orders for manual therapy or manipulation against the patient's "
               "contraindications before signing and suggests a safer technique.", PREFETCH),
)}


class CdsRequestError(ValueError):
    """A malformed CDS Hooks request; `field` names the offending member."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"field '{field}': {problem}")
        self.field = field


@dataclass(frozen=True, slots=True)
class HookRequest:
    """A checked CDS Hooks request body."""

    hook: str
    hook_instance: str
    context: Mapping[str, Any]
    prefetch: Mapping[str, Any]
    fhir_server: str | None = None
    access_token: str | None = None


def discovery() -> dict[str, Any]:
    """The discovery document (`GET /cds-services`)."""
    return {"services": [s.as_json() for s in SERVICES.values()]}


def _string(body: Mapping[str, Any], name: str, required: bool) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise CdsRequestError(name, "is required")
        return None
    if not isinstance(value, str) or not value:
        raise CdsRequestError(name, "must be a non-empty string")
    return value


def parse_request(raw: bytes | str) -> HookRequest:
    """Check a request body against the spec's "Calling a CDS Service" (CdsRequestError naming the field)."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise CdsRequestError("body", f"not valid JSON ({exc})") from None
    if not isinstance(body, dict):
        raise CdsRequestError("body", "must be a JSON object")
    hook = _string(body, "hook", True)
    instance = _string(body, "hookInstance", True)
    context = body.get("context")
    if not isinstance(context, dict):
        raise CdsRequestError("context", "is required and must be an object")
    prefetch = body.get("prefetch", {})
    if not isinstance(prefetch, dict):
        raise CdsRequestError("prefetch", "must be an object")
    server = _string(body, "fhirServer", False)
    auth = body.get("fhirAuthorization")
    token = None
    if auth is not None:
        if not isinstance(auth, dict):
            raise CdsRequestError("fhirAuthorization", "must be an object")
        if server is None:
            raise CdsRequestError("fhirServer", "is required when fhirAuthorization is given")
        token = _string(auth, "access_token", True)
        if auth.get("token_type") != "Bearer":
            raise CdsRequestError("fhirAuthorization.token_type", "must be 'Bearer'")
    assert hook is not None and instance is not None
    return HookRequest(hook, instance, context, prefetch, server, token)


def resolve_template(template: str, context: Mapping[str, Any]) -> str | None:
    """The template with its `{{context.x}}` tokens filled in, or None when a token has no string value."""
    missing = False

    def fill(m: re.Match[str]) -> str:
        nonlocal missing
        value = context.get(m.group(1))
        if not isinstance(value, str) or not value:
            missing = True
            return ""
        return value

    out = _TOKEN.sub(fill, template)
    return None if missing else out


def missing_prefetch(service: ServiceDef, request: HookRequest) -> dict[str, str] | None:
    """Prefetch keys absent from the request, each with its FHIR query; None if the context has no patient.

    Keys in `service.optional` are listed too: fetch them when a FHIR server is at hand.
    """
    out: dict[str, str] = {}
    for key, template in service.prefetch.items():
        query = resolve_template(template, request.context)
        if query is None:
            return None
        if key not in request.prefetch:
            out[key] = query
    return out


def _resources(value: Any, key: str) -> Iterator[Mapping[str, Any]]:
    """The resources of one prefetch value: a resource, a searchset Bundle, or null (no data)."""
    if value is None:
        return
    if not isinstance(value, dict) or not isinstance(value.get("resourceType"), str):
        raise CdsRequestError(f"prefetch.{key}", "must be a FHIR resource, a Bundle or null")
    if value["resourceType"] != "Bundle":
        yield value
        return
    entries = value.get("entry", [])
    if not isinstance(entries, list):
        raise CdsRequestError(f"prefetch.{key}.entry", "must be an array")
    for i, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            raise CdsRequestError(f"prefetch.{key}.entry[{i}].resource", "must be a FHIR resource")
        if resource["resourceType"] != "OperationOutcome":
            yield resource


def gather(service: ServiceDef, request: HookRequest, fetched: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Every resource of the service's prefetch keys, from the request or fetched; the patient checked."""
    patient_id = request.context["patientId"]
    out: list[Mapping[str, Any]] = []
    for key in service.prefetch:
        value = request.prefetch[key] if key in request.prefetch else fetched.get(key)
        for resource in _resources(value, key):
            if resource["resourceType"] == "Patient" and resource.get("id") not in (None, patient_id):
                raise CdsRequestError(f"prefetch.{key}", f"is Patient/{resource.get('id')}, "
                                      f"not the context's patient {patient_id}")
            out.append(resource)
    return out


@dataclass(frozen=True, slots=True)
class Screened:
    """The assessment of the patient in context, or why there is none; and what was not read."""

    assessment: Assessment | None
    problems: tuple[str, ...]
    unread: tuple[str, ...]


def screen(patient_id: str, resources: Iterable[Mapping[str, Any]], kb: KnowledgeBase,
           as_of: date | None = None) -> Screened:
    """FHIR resources -> contract case (palpa.interop.fhir_import) -> assessment, or why not."""
    imported = case_from_resources(patient_id, resources, as_of=as_of)
    unread = tuple(describe_unmapped(u) for u in imported.unmapped)
    problems = tuple(imported.problems)
    if imported.case is None:
        return Screened(None, problems or ("the record does not give enough to build a case",), unread)
    try:
        assessment = assess_json_case(orjson.dumps(imported.case), kb)
    except CaseError as exc:
        return Screened(None, (*problems, str(exc)), unread)
    return Screened(assessment, problems, unread)


def describe_unmapped(u: Unmapped) -> str:
    """One line on a code Palpa could not read: where it is, the coding, and why."""
    where = f"{u.resource_type}/{u.resource_id}" if u.resource_id else u.resource_type
    coding = " ".join(x for x in (u.system, u.code) if x)
    label = f" '{u.display}'" if u.display else ""
    return f"{where} {u.field}: {coding or 'no coding'}{label} - {u.reason}"


def _orders(context: Mapping[str, Any], hook: str) -> list[Mapping[str, Any]]:
    """The draft ServiceRequests to check: the selected ones for order-select, all for order-sign."""
    bundle = context.get("draftOrders")
    if not isinstance(bundle, dict) or not isinstance(bundle.get("entry"), list):
        return []
    resources = [e.get("resource") for e in bundle["entry"] if isinstance(e, dict)]
    orders: list[Mapping[str, Any]] = [
        r for r in resources if isinstance(r, dict) and r.get("resourceType") in ORDER_TYPES]
    selections = context.get("selections")
    if hook == "order-select" and isinstance(selections, list):
        chosen = {s for s in selections if isinstance(s, str)}
        orders = [o for o in orders if f"{o.get('resourceType')}/{o.get('id')}" in chosen]
    return orders


def patient_view_cards(screened: Screened, kb: KnowledgeBase, settings: CardSettings) -> list[cds_cards.Card]:
    """Triage, red-flag and STarT Back cards; an info card saying why when Palpa could not screen."""
    a = screened.assessment
    if a is None:
        return [_not_screened_card(screened, kb, settings)]
    cards = [cds_cards.triage_card(a, kb, settings, screened.unread),
             *cds_cards.red_flag_cards(a, kb, settings)]
    sb = cds_cards.start_back_card(a, kb, settings)
    if sb is not None:
        cards.append(sb)
    return cards


def _not_screened_card(screened: Screened, kb: KnowledgeBase, settings: CardSettings) -> cds_cards.Card:
    lines = ["Palpa could not screen this patient from the record:", *(f"- {p}" for p in screened.problems)]
    if screened.unread:
        lines += ["", "**Not read from the record:**", *(f"- {n}" for n in screened.unread)]
    return cds_cards.make_card(
        f"Palpa could not screen this patient: {screened.problems[0]}", "info",
        cds_cards.card_source(kb, settings, settings.screen_source, "screen", "Red-flag screen"),
        "\n".join(lines))


def order_cards(request: HookRequest, resources: list[Mapping[str, Any]], kb: KnowledgeBase,
                settings: CardSettings, as_of: date | None = None) -> list[cds_cards.Card]:
    """A card per ordered manual therapy the patient's assessment contraindicates or cautions."""
    patient_id = request.context["patientId"]
    cards: list[cds_cards.Card] = []
    screened: Screened | None = None
    for order in _orders(request.context, request.hook):
        techniques = order_codes.techniques_of(order)
        if not techniques:
            continue
        region = order_codes.region_of(order)
        if screened is None:
            screened = screen(patient_id, resources, kb, as_of)
        a = screened.assessment
        if a is None:
            cards.append(_not_screened_card(screened, kb, settings))
            continue
        entries = [e for t in techniques if (e := _technique_entry(a, t, region)) is not None]
        if len(techniques) == 1 and entries:
            card = cds_cards.technique_card(a, entries[0], order, kb, settings, order_codes.recode)
        else:
            card = cds_cards.general_order_card(entries, kb, settings)
        if card is not None:
            cards.append(card)
    return cards


def _technique_entry(a: Assessment, technique: str, region: str | None) -> TechniqueAssessment | None:
    """The assessment's verdict on `technique` at the order's region, else at the complaint's region."""
    entries = [t for t in a.techniques if t.technique == technique]
    for t in entries:
        if region is not None and t.region == region:
            return t
    return entries[0] if entries else None


def has_work(service: ServiceDef, request: HookRequest) -> bool:
    """False when the context gives nothing to check: no patient id, or (orders) no manual therapy order."""
    patient_id = request.context.get("patientId")
    if not isinstance(patient_id, str) or not patient_id:
        return False
    if service.hook == "patient-view":
        return True
    return any(order_codes.techniques_of(o) for o in _orders(request.context, request.hook))


def respond(service: ServiceDef, request: HookRequest, kb: KnowledgeBase,
            fetched: Mapping[str, Any] | None = None, as_of: date | None = None) -> dict[str, Any]:
    """The service's response (`{"cards": [...]}`) to a checked request; `fetched` fills missing prefetch.

    A hook that does not match the service raises CdsRequestError('hook'); a context without a
    patient id, or without orders Palpa checks, gives no cards.
    """
    if request.hook != service.hook:
        raise CdsRequestError("hook", f"service '{service.id}' answers '{service.hook}', "
                              f"not '{request.hook}'")
    if not has_work(service, request):
        return {"cards": []}
    patient_id = request.context["patientId"]
    settings = load_card_settings(kb)
    resources = gather(service, request, fetched or {})
    if service.hook == "patient-view":
        return {"cards": patient_view_cards(screen(patient_id, resources, kb, as_of), kb, settings)}
    return {"cards": order_cards(request, resources, kb, settings, as_of)}
