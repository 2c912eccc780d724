"""Any context a client may send gives a card list, never an exception (property test)."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from palpa.interop.cds_hooks import SERVICES, CdsRequestError, parse_request, respond
from palpa.knowledge.loader import load_knowledge
from tests.interop.cds_support import complaint, finding, prefetch

KB = load_knowledge()
json_values = st.recursive(st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=8),
                           lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=10)
contexts = st.dictionaries(
    st.sampled_from(["patientId", "userId", "draftOrders", "selections", "encounterId", "x"]),
    json_values | st.just({"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "ServiceRequest",
                                                                             "code": {"coding": [1, {}]}}}]}),
    max_size=5)


@settings(max_examples=150, deadline=None)
@given(context=contexts, service=st.sampled_from(sorted(SERVICES)))
def test_unexpected_context_gives_cards_not_an_exception(context: dict[str, Any], service: str) -> None:
    svc = SERVICES[service]
    pre = prefetch([complaint(pid="p")], [finding("osteoporosis", pid="p")])
    pre["patient"]["id"] = context.get("patientId") if isinstance(context.get("patientId"), str) else "p"
    body = {"hook": svc.hook, "hookInstance": "h", "context": context, "prefetch": pre}
    try:
        out = respond(svc, parse_request(orjson.dumps(body)), KB)
    except CdsRequestError as exc:  # only a refused prefetch may be an error; never a crash
        assert exc.field.startswith("prefetch")
        return
    assert isinstance(out["cards"], list)
    if not isinstance(context.get("patientId"), str) or not context["patientId"]:
        assert out == {"cards": []}
