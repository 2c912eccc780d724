"""Palpa's pure domain: screening, reasoning and planning. No I/O, no framework imports."""

from palpa.core.assess import assess
from palpa.core.models import Assessment, Case, Measures, Triage

__all__ = ["Assessment", "Case", "Measures", "Triage", "assess"]
