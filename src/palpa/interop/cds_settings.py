"""Settings of the CDS Hooks cards (cds_cards.yaml), checked against the knowledge base once at load."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import msgspec
import yaml

from palpa.core.knowledge import KnowledgeBase
from palpa.knowledge.loader import SAFE_LOADER

SETTINGS_FILE = Path(__file__).with_name("cds_cards.yaml")
Indicator = Literal["info", "warning", "critical"]
LEVELS = ("emergency", "urgent", "refer", "treat_with_precautions", "treat")
RISKS = ("low", "medium", "high")


class Systems(msgspec.Struct, forbid_unknown_fields=True):
    topic: str
    rule: str
    override_reason: str


class LevelText(msgspec.Struct, forbid_unknown_fields=True):
    label: str
    todo: str


class StartBack(msgspec.Struct, forbid_unknown_fields=True):
    indicator: dict[str, Indicator]
    todo: dict[str, str]
    source: str


class OverrideReason(msgspec.Struct, forbid_unknown_fields=True):
    code: str
    display: str


class Alternatives(msgspec.Struct, forbid_unknown_fields=True):
    source: str
    by_technique: dict[str, list[str]]


class CardSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """The parsed cds_cards.yaml."""

    version: int
    systems: Systems
    indicator: dict[str, Indicator]
    triage: dict[str, LevelText]
    screen_source: str
    start_back: StartBack
    override_reasons: list[OverrideReason]
    alternatives: Alternatives


class CardSettingsError(ValueError):
    """cds_cards.yaml is invalid; the message names the field."""


def check_settings(s: CardSettings, kb: KnowledgeBase) -> CardSettings:
    """`s` when every level, risk, technique and source key it names exists (else CardSettingsError)."""
    for name, keys, wanted in (("indicator", s.indicator, LEVELS), ("triage", s.triage, LEVELS),
                               ("start_back.indicator", s.start_back.indicator, RISKS),
                               ("start_back.todo", s.start_back.todo, RISKS)):
        if set(keys) != set(wanted):
            raise CardSettingsError(f"{SETTINGS_FILE.name}: field '{name}': "
                                    f"needs exactly {', '.join(wanted)}")
    for field, key in (("screen_source", s.screen_source), ("start_back.source", s.start_back.source),
                       ("alternatives.source", s.alternatives.source)):
        if key not in kb.sources:
            raise CardSettingsError(f"{SETTINGS_FILE.name}: field '{field}': unknown source '{key}'")
    techniques = set(kb.vocabulary.techniques)
    for technique, options in s.alternatives.by_technique.items():
        for code in (technique, *options):
            if code not in techniques:
                raise CardSettingsError(f"{SETTINGS_FILE.name}: field "
                                        f"'alternatives.by_technique.{technique}': "
                                        f"unknown technique '{code}'")
    if not s.override_reasons:
        raise CardSettingsError(f"{SETTINGS_FILE.name}: field 'override_reasons': give at least one")
    return s


@cache
def load_card_settings(kb: KnowledgeBase) -> CardSettings:
    """The card settings, validated against `kb` (cached per knowledge base)."""
    raw = yaml.load(SETTINGS_FILE.read_bytes(), Loader=SAFE_LOADER)
    try:
        settings = msgspec.convert(raw, CardSettings)
    except msgspec.ValidationError as exc:
        raise CardSettingsError(f"{SETTINGS_FILE.name}: {exc}") from None
    return check_settings(settings, kb)
