"""Findings read from free-text clinical notes, with ConText negation, experiencer and temporality."""

from __future__ import annotations

from palpa.notes.extract import Mention, extract, present_findings

__all__ = ["Mention", "extract", "present_findings"]
