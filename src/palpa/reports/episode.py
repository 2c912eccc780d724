"""An episode's report: summary, per-visit SOAP notes and units, reassessment triggers, chart."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from palpa.core.billing import Billing, Method, bill_recorded_visit
from palpa.core.episode import Episode
from palpa.core.knowledge import KnowledgeBase
from palpa.core.progress import (
    MeasureProgress,
    Trigger,
    measure_progress,
    measure_series,
    reassessment_triggers,
)
from palpa.core.screening import red_flag_codes
from palpa.core.soap import soap_note
from palpa.knowledge.episode_loader import load_billing, load_progress_rules
from palpa.reports.chart import progress_chart


@dataclass(slots=True)
class EpisodeReport:
    episode: Episode
    progress: list[MeasureProgress]
    triggers: list[Trigger]
    billing: dict[int, Billing]
    soap: dict[int, str]


def measures_info(kb: KnowledgeBase, episode: Episode) -> dict[str, tuple[float, bool]]:
    """MCID and direction of every measure the episode records that has an MCID."""
    out: dict[str, tuple[float, bool]] = {}
    for mid in episode.measure_ids():
        m = kb.measures.get(mid)
        if m is None:
            raise ValueError(f"measures: unknown measure {mid!r}")
        if m.mcid.value is not None:
            out[mid] = (m.mcid.value, m.direction == "higher_is_better")
    return out


def build_report(episode: Episode, kb: KnowledgeBase, method: Method = "cms_8_minute",
                 fmt: Literal["markdown", "text"] = "text") -> EpisodeReport:
    """Everything the episode report shows, from the recorded data alone."""
    info = measures_info(kb, episode)
    flags = red_flag_codes(kb)
    triggers = reassessment_triggers(episode, info, flags, load_progress_rules())
    catalogue = load_billing()
    labels = {t: t.replace("_", " ") for t in kb.vocabulary.techniques}
    billing: dict[int, Billing] = {}
    soap: dict[int, str] = {}
    for v in episode.visits:
        billing[v.number] = bill_recorded_visit(v, catalogue, method)
        soap[v.number] = soap_note(episode, v.number, info, triggers, billing[v.number], fmt,
                                   red_flag_codes=flags, labels=labels)
    return EpisodeReport(episode, measure_progress(episode, info), triggers, billing, soap)


def chart(report: EpisodeReport, kb: KnowledgeBase, fmt: Literal["png", "svg"]) -> bytes:
    """The progress chart: each measure by visit, MCID band from baseline, trigger markers."""
    info = measures_info(kb, report.episode)
    series = {m: pts for m, pts in measure_series(report.episode).items() if m in info}
    return progress_chart(series, info, [(t.visit, t.id) for t in report.triggers], fmt)


def report_to_dict(report: EpisodeReport) -> dict[str, Any]:
    """The report as JSON-ready data: progress against MCID, triggers, units and SOAP per visit."""
    ep = report.episode
    return {
        "episode": ep.id, "region": ep.region, "start": ep.start.isoformat(), "visits": len(ep.visits),
        "intake": ep.intake.summary,
        "progress": [{"measure": p.measure, "baseline": p.baseline, "current": p.current,
                      "change": p.change, "mcid": p.mcid, "response": p.response}
                     for p in report.progress],
        "triggers": [{"id": t.id, "visit": t.visit, "measure": t.measure,
                      "what_to_do": t.what_to_do, "why": t.why, "source": t.source}
                     for t in report.triggers],
        "units": {str(n): {line.code: line.units for line in b.lines} for n, b in report.billing.items()},
        "billing": {str(n): {"timed_minutes": b.timed_minutes, "total_units": b.total_units,
                             "explanation": list(b.explanation)} for n, b in report.billing.items()},
        "soap": {str(n): s for n, s in report.soap.items()},
    }
