"""Draft orders (FHIR ServiceRequest) read through the mapping tables: techniques, region, recoding."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from palpa.interop.codes import CodeTables, load_code_tables


def _codings(concept: Any) -> list[tuple[str, str]]:
    if not isinstance(concept, dict) or not isinstance(concept.get("coding"), list):
        return []
    return [(c["system"], c["code"]) for c in concept["coding"]
            if isinstance(c, dict) and isinstance(c.get("system"), str) and isinstance(c.get("code"), str)]


def techniques_of(order: Mapping[str, Any], tables: CodeTables | None = None) -> tuple[str, ...]:
    """The Palpa techniques an order's code names, most specific reading first.

    Each coding names a set of techniques (CPT 97140 names every manual technique, SNOMED
    'Manipulation of joint' one); the order names the techniques every mapped coding agrees
    on, or all of them when its codings disagree. Empty when it is not a manual therapy order.
    """
    t = tables or load_code_tables()
    readings = [set(found) for system, code in _codings(order.get("code"))
                if (found := t.techniques_for(system, code))]
    if not readings:
        return ()
    agreed = set.intersection(*readings) or set.union(*readings)
    order_of = {name: i for i, name in enumerate(t.technique_codings)}
    return tuple(sorted(agreed, key=lambda name: order_of.get(name, len(order_of))))


def region_of(order: Mapping[str, Any], tables: CodeTables | None = None) -> str | None:
    """The region the order's first mapped body site names, or None."""
    t = tables or load_code_tables()
    sites = order.get("bodySite")
    for site in sites if isinstance(sites, list) else []:
        for system, code in _codings(site):
            region = t.body_site_region(system, code)
            if region is not None:
                return region
    return None


def recode(order: Mapping[str, Any], technique: str,
           tables: CodeTables | None = None) -> dict[str, Any] | None:
    """A copy of the draft order coded for `technique` (its SNOMED, CPT and Palpa codings), or None."""
    t = tables or load_code_tables()
    codings = t.technique_codings.get(technique)
    if not codings:
        return None
    out = copy.deepcopy(dict(order))
    name = technique.replace("_", " ")
    out["code"] = {"coding": [dict(c) for c in codings], "text": name[0].upper() + name[1:]}
    return out
