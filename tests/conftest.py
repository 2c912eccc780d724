"""Shared fixtures: the packaged knowledge base and a one-call assessment helper."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pytest

from palpa.codec import assessment_to_dict, decode_case
from palpa.core.assess import assess
from palpa.core.knowledge import KnowledgeBase
from palpa.knowledge.loader import load_knowledge

AssessFn = Callable[..., dict[str, Any]]


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge()


def base_case(**fields: Any) -> dict[str, Any]:
    """A benign case, overridden by `fields`."""
    case: dict[str, Any] = {"id": "t", "age": 40, "sex": "female", "region": "lumbar",
                            "duration_days": 30, "findings": []}
    case.update(fields)
    return case


@pytest.fixture(scope="session")
def run(kb: KnowledgeBase) -> AssessFn:
    """Assess a case given as keyword fields; returns the JSON-ready assessment."""

    def _run(**fields: Any) -> dict[str, Any]:
        case = decode_case(orjson.dumps(base_case(**fields)), kb)
        return orjson.loads(orjson.dumps(assessment_to_dict(assess(case, kb), kb)))

    return _run


def statuses(a: dict[str, Any]) -> dict[str, str]:
    """Technique -> status at the case's own region."""
    region = next((t["region"] for t in a["techniques"]), None)
    return {t["technique"]: t["status"] for t in a["techniques"] if t["region"] == region}


def recommended(a: dict[str, Any]) -> set[str]:
    """Techniques recommended at any region (as the contract counts them)."""
    return {t["technique"] for t in a["techniques"] if t["status"] == "recommended"}
