"""Load, validate and compile the knowledge base; a bad entry fails with file, entry and field."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar, cast

import msgspec
import yaml

from palpa.core.knowledge import (
    Combo,
    Conditions,
    ContraindicationRule,
    Criterion,
    DoseTemplate,
    EducationTopic,
    Exercise,
    Indication,
    KnowledgeBase,
    PredictionRule,
    ReasoningParams,
    RedFlagDefinition,
    RedFlagRule,
    Source,
    TechniqueGuide,
    VisitRule,
    Vocabulary,
    Withhold,
)
from palpa.core.models import Stage, Triage
from palpa.knowledge import schema

SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML was built with it (about ten times faster), else the pure-Python one."""

KNOWLEDGE_DIR = Path(__file__).parent
FILES = (
    "vocabulary.yaml",
    "groups.yaml",
    "sources.yaml",
    "red_flags.yaml",
    "contraindications.yaml",
    "reasoning.yaml",
    "exercises.yaml",
    "education.yaml",
)
MEASURE_CODES = frozenset(
    {"fabq_work", "fabq_pa", "hip_internal_rotation_deg", "cervical_extension_rom_deg",
     "odi_percent", "ndi_percent"}
)

T = TypeVar("T")


class KnowledgeError(ValueError):
    """A knowledge file is invalid: the message names the file, the entry and the field."""

    def __init__(self, file: str, entry: str | None, field: str | None, problem: str) -> None:
        self.file, self.entry, self.field, self.problem = file, entry, field, problem
        where = file
        if entry:
            where += f", entry {entry!r}"
        if field:
            where += f", field {field!r}"
        super().__init__(f"{where}: {problem}")


def _entry_name(data: Any, path: list[str | int]) -> str | None:
    """Name of the entry a validation path points into: its `id`, or its mapping key."""
    node, name = data, None
    for depth, step in enumerate(path):
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, Mapping) and isinstance(node.get("id"), str):
            name = node["id"]
        elif depth == 1 and isinstance(step, str):
            name = step  # e.g. sources.<key>, flags.<id>, techniques.<code>
    return name


_PATH_STEP = re.compile(r"\.([A-Za-z_]\w*)|\[(\d+|\.\.\.)\]")


def _parse_path(where: str) -> list[str | int]:
    """msgspec's `$.rules[3].why` as ['rules', 3, 'why']; a dict key shows as '...'."""
    return [key if key else (int(index) if index.isdigit() else "...")
            for key, index in _PATH_STEP.findall(where)]


def _resolve_keys(data: Any, path: list[str | int], kind: type[Any]) -> list[str | int]:
    """Replace each '...' (an unnamed mapping key) by the key whose entry fails validation."""
    for i, step in enumerate(path):
        if step != "...":
            continue
        parent: Any = data
        for s in path[:i]:
            parent = parent[s]
        for key in list(parent):
            trial = dict(parent)
            keep = {key: trial[key]}
            parent.clear()
            parent.update(keep)
            try:
                msgspec.convert(data, type=kind, strict=True)
                failed = False
            except msgspec.ValidationError:
                failed = True
            finally:
                parent.clear()
                parent.update(trial)
            if failed:
                path[i] = key
                break
    return path


def convert(file: str, data: Any, kind: type[T]) -> T:
    try:
        return msgspec.convert(data, type=kind, strict=True)
    except msgspec.ValidationError as exc:
        problem, _, where = str(exc).partition(" - at `")
        path = _resolve_keys(data, _parse_path(where.rstrip("`")), kind)
        field = next((step for step in reversed(path) if isinstance(step, str)), None)
        raise KnowledgeError(file, _entry_name(data, path), field, problem) from None


class Checker:
    """Cross-reference checks: vocabulary codes, region groups and source keys."""

    def __init__(self, vocab: Vocabulary, groups: dict[str, list[str]], sources: set[str]) -> None:
        self.vocab = vocab
        self.findings = set(vocab.findings)
        self.groups = groups
        self.sources = sources

    def source(self, file: str, entry: str, key: str, field: str = "source") -> str:
        if key not in self.sources:
            raise KnowledgeError(file, entry, field, f"unknown source key {key!r}")
        return key

    def finding(self, file: str, entry: str, code: str, field: str) -> str:
        if code not in self.findings:
            raise KnowledgeError(file, entry, field, f"unknown finding code {code!r}")
        return code

    def technique(self, file: str, entry: str, code: str, field: str) -> str:
        if code not in self.vocab.techniques:
            raise KnowledgeError(file, entry, field, f"unknown technique code {code!r}")
        return code

    def region(self, file: str, entry: str, code: str, field: str) -> str:
        if code not in self.vocab.regions:
            raise KnowledgeError(file, entry, field, f"unknown region code {code!r}")
        return code

    def regions(self, file: str, entry: str, names: Iterable[str], field: str = "regions") -> frozenset[str]:
        out: set[str] = set()
        for name in names:
            if name in self.groups:
                out.update(self.groups[name])
            elif name in self.vocab.regions:
                out.add(name)
            else:
                raise KnowledgeError(file, entry, field, f"unknown region or group {name!r}")
        return frozenset(out)

    def combos(self, file: str, entry: str, any_of: Sequence[Sequence[str]],
               index: dict[str, int]) -> tuple[Combo, ...]:
        out = []
        for combo in any_of:
            if not combo:
                raise KnowledgeError(file, entry, "any_of", "empty finding combination")
            codes = tuple(self.finding(file, entry, c, "any_of") for c in combo)
            mask = 0
            for c in codes:
                mask |= 1 << index[c]
            out.append(Combo(mask, codes))
        return tuple(out)

    def conditions(self, file: str, entry: str, spec: schema.ConditionFields, index: dict[str, int],
                   stages: Sequence[str] | None = None, max_irritability: str | None = None) -> Conditions:
        absent = 0
        for c in spec.absent or ():
            absent |= 1 << index[self.finding(file, entry, c, "absent")]
        onsets = None
        if spec.onsets is not None:
            for o in spec.onsets:
                if o not in self.vocab.onsets:
                    raise KnowledgeError(file, entry, "onsets", f"unknown onset code {o!r}")
            onsets = frozenset(spec.onsets)
        return Conditions(
            regions=self.regions(file, entry, spec.regions) if spec.regions is not None else None,
            onsets=onsets,
            age_min=spec.age_min,
            age_max=spec.age_max,
            duration_min_days=spec.duration_min_days,
            duration_max_days=spec.duration_max_days,
            stages=frozenset(cast("Iterable[Stage]", stages)) if stages is not None else None,
            max_irritability=max_irritability,
            absent_mask=absent,
        )


def _unique(file: str, ids: Iterable[str]) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise KnowledgeError(file, i, "id", "duplicate id")
        seen.add(i)


def knowledge_version(directory: Path) -> str:
    """Content hash of every knowledge file in `directory`."""
    digest = hashlib.sha256()
    for path in sorted(directory.glob("*.yaml")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return "kb-" + digest.hexdigest()[:12]


def read_yaml(directory: Path, name: str) -> Any:
    """Parse one knowledge file (KnowledgeError when missing or not YAML)."""
    path = directory / name
    try:
        return yaml.load(path.read_bytes(), Loader=SAFE_LOADER)
    except FileNotFoundError:
        raise KnowledgeError(name, None, None, "file is missing") from None
    except yaml.YAMLError as exc:
        raise KnowledgeError(name, None, None, f"not valid YAML: {exc}") from None


def load_sources(directory: Path) -> dict[str, schema.SourceEntry]:
    """`sources.yaml` merged with any `sources_*.yaml`; a key defined twice is an error."""
    merged: dict[str, schema.SourceEntry] = {}
    for path in sorted(directory.glob("sources*.yaml")):
        part = convert(path.name, read_yaml(directory, path.name), schema.SourcesFile)
        for key, entry in part.sources.items():
            if key in merged:
                raise KnowledgeError(path.name, key, None, "citation key defined twice")
            merged[key] = entry
    return merged


def load_from(directory: Path) -> KnowledgeBase:
    """Load and validate every knowledge file in `directory` (raises KnowledgeError)."""
    raw = {name: read_yaml(directory, name) for name in FILES if name != "sources.yaml"}
    version = knowledge_version(directory)

    voc = convert("vocabulary.yaml", raw["vocabulary.yaml"], schema.VocabularyFile)
    vocab = Vocabulary(
        regions=tuple(voc.regions), techniques=tuple(voc.techniques), onsets=tuple(voc.onsets),
        findings=tuple(voc.findings), red_flags=tuple(voc.red_flags),
        prediction_rules=tuple(voc.prediction_rules),
        definitions={**voc.regions, **voc.techniques, **voc.findings, **voc.red_flags,
                     **voc.onsets, **voc.prediction_rules},
    )
    index = {c: i for i, c in enumerate(vocab.findings)}

    groups_file = convert("groups.yaml", raw["groups.yaml"], schema.GroupsFile)
    for gname, members in groups_file.groups.items():
        for r in members:
            if r not in vocab.regions:
                raise KnowledgeError("groups.yaml", gname, "groups", f"unknown region code {r!r}")

    source_entries = load_sources(directory)
    check = Checker(vocab, groups_file.groups, set(source_entries))
    sources: dict[str, Source] = {}
    for key, s in source_entries.items():
        if not re.fullmatch(r"[a-z0-9_]+", key):
            raise KnowledgeError("sources.yaml", key, None, "citation keys are lower case [a-z0-9_]")
        for b in s.based_on:
            check.source("sources.yaml", key, b, "based_on")
        sources[key] = Source(key, s.kind, s.authors, s.year, s.title, s.published_in, s.url,
                              s.verified, s.doi, tuple(s.based_on), s.note)

    # red flags
    rf = convert("red_flags.yaml", raw["red_flags.yaml"], schema.RedFlagsFile)
    for fid in rf.flags:
        if fid not in vocab.red_flags:
            raise KnowledgeError("red_flags.yaml", fid, "flags", f"unknown red flag id {fid!r}")
    missing = [f for f in vocab.red_flags if f not in rf.flags]
    if missing:
        raise KnowledgeError("red_flags.yaml", None, "flags", f"no definition for {missing}")
    definitions = {
        fid: RedFlagDefinition(fid, d.name, {Triage.from_code(k): v for k, v in d.action.items()})
        for fid, d in rf.flags.items()
    }
    _unique("red_flags.yaml", (r.id for r in rf.rules))
    red_rules = []
    for r in rf.rules:
        if r.flag not in vocab.red_flags:
            raise KnowledgeError("red_flags.yaml", r.id, "flag", f"unknown red flag id {r.flag!r}")
        red_rules.append(RedFlagRule(
            r.id, r.flag, Triage.from_code(r.urgency),
            check.combos("red_flags.yaml", r.id, r.any_of, index),
            check.conditions("red_flags.yaml", r.id, r, index),
            check.source("red_flags.yaml", r.id, r.source), r.why))
    uncovered = set(vocab.red_flags) - {r.flag for r in red_rules}
    if uncovered:
        raise KnowledgeError("red_flags.yaml", None, "rules", f"no rule raises {sorted(uncovered)}")

    # contraindications
    ci = convert("contraindications.yaml", raw["contraindications.yaml"], schema.ContraindicationsFile)
    _unique("contraindications.yaml", (r.id for r in ci.rules))
    contra = []
    for c in ci.rules:
        for t in c.techniques:
            check.technique("contraindications.yaml", c.id, t, "techniques")
        contra.append(ContraindicationRule(
            c.id, check.combos("contraindications.yaml", c.id, c.any_of, index) if c.any_of else (),
            check.conditions("contraindications.yaml", c.id, c, index),
            dict(c.techniques), check.source("contraindications.yaml", c.id, c.source),
            c.why, c.advice, c.affects_triage))

    # reasoning
    f = "reasoning.yaml"
    rs = convert(f, raw[f], schema.ReasoningFile)
    p = rs.presentation
    for name, codes in (("joint", p.tissue_sources.joint), ("muscle", p.tissue_sources.muscle),
                        ("nerve", p.tissue_sources.nerve)):
        for code in codes:
            check.finding(f, f"tissue_sources.{name}", code, name)
    for key in (p.stage.source, p.irritability.source, p.dominance.source, p.tissue_sources.source,
                rs.grades.source, rs.psychosocial.fabq.source,
                rs.while_awaiting_review.source, rs.home_program.source):
        check.source(f, "parameters", key)
    withholds = []
    for w in rs.refer_withholds:
        for t in w.techniques:
            check.technique(f, w.id, t, "techniques")
        for flag in w.flags or ():
            if flag not in vocab.red_flags:
                raise KnowledgeError(f, w.id, "flags", f"unknown red flag id {flag!r}")
        withholds.append(Withhold(w.id, frozenset(w.flags) if w.flags is not None else None,
                                  frozenset(w.techniques), check.source(f, w.id, w.source), w.why))
    params = ReasoningParams(
        acute_max_days=p.stage.acute_max_days, subacute_max_days=p.stage.subacute_max_days,
        stage_source=p.stage.source, nprs_high_from=p.irritability.nprs_high_from,
        nprs_low_to=p.irritability.nprs_low_to, irritability_source=p.irritability.source,
        grades={"pain_dominant": tuple(rs.grades.pain_dominant), "mixed": tuple(rs.grades.mixed),
                "stiffness_dominant": tuple(rs.grades.stiffness_dominant)},
        grades_source=rs.grades.source, caution_grade_steps=rs.grades.caution_steps,
        fabq_pa_high_over=rs.psychosocial.fabq.pa_high_over,
        fabq_work_high_over=rs.psychosocial.fabq.work_high_over,
        fabq_source=rs.psychosocial.fabq.source,
        tissue_findings={"joint": tuple(p.tissue_sources.joint), "muscle": tuple(p.tissue_sources.muscle),
                         "nerve": tuple(p.tissue_sources.nerve)},
        tissue_source=p.tissue_sources.source, dominance_source=p.dominance.source,
        reassess_triggers=tuple((t.id, t.text, check.source(f, t.id, t.source))
                                for t in rs.reassess_triggers),
        awaiting_review=tuple(rs.while_awaiting_review.items),
        home_program_always=tuple(rs.home_program.always),
        awaiting_review_source=rs.while_awaiting_review.source,
        refer_withholds=tuple(withholds),
    )
    guides: dict[str, TechniqueGuide] = {}
    for tech, g in rs.techniques.items():
        check.technique(f, tech, tech, "techniques")
        doses = {}
        for variant, d in g.doses.items():
            doses[variant] = DoseTemplate(d.text, d.sets, d.seconds_per_set, d.repetitions,
                                          d.frequency_hz, d.attempts,
                                          check.source(f, f"{tech}.{variant}", d.source))
        guides[tech] = TechniqueGuide(tech, doses, g.caution_advice, check.source(f, tech, g.source))
    missing = [t for t in vocab.techniques if t not in guides]
    if missing:
        raise KnowledgeError(f, None, "techniques", f"no dose guide for {missing}")

    rule_ids = set(rs.prediction_rules)
    _unique(f, (i.id for i in rs.indications))
    indications = []
    for i in rs.indications:
        check.technique(f, i.id, i.technique, "technique")
        if i.target_region is not None:
            check.region(f, i.id, i.target_region, "target_region")
        if i.requires_positive_rule is not None and i.requires_positive_rule not in rule_ids:
            raise KnowledgeError(f, i.id, "requires_positive_rule",
                                 f"unknown rule {i.requires_positive_rule!r}")
        cond = check.conditions(f, i.id, i, index, i.stages, i.max_irritability)
        indications.append(Indication(
            i.id, i.technique, check.combos(f, i.id, i.any_of, index) if i.any_of else (),
            cond, check.source(f, i.id, i.source), i.why, i.target_region,
            i.requires_positive_rule, i.min_irritability))

    prediction_rules = []
    for rid, pr in rs.prediction_rules.items():
        if rid not in vocab.prediction_rules:
            raise KnowledgeError(f, rid, "prediction_rules", f"unknown prediction rule id {rid!r}")
        criteria = []
        for c in pr.criteria:
            if c.kind in ("finding_present", "finding_absent"):
                check.finding(f, rid, c.code or "", f"criteria.{c.id}.code")
            elif c.kind in ("measure_lt", "measure_gt") and c.code not in MEASURE_CODES:
                raise KnowledgeError(f, rid, f"criteria.{c.id}.code", f"unknown measure {c.code!r}")
            if c.kind != "finding_present" and c.kind != "finding_absent" and c.threshold is None:
                raise KnowledgeError(f, rid, f"criteria.{c.id}.threshold", "threshold is required")
            criteria.append(Criterion(c.id, c.text, c.kind, c.code, c.threshold))
        for vs in pr.validation_sources:
            check.source(f, rid, vs, "validation_sources")
        prediction_rules.append(PredictionRule(
            rid, pr.name, check.regions(f, rid, pr.regions), pr.threshold, tuple(criteria),
            pr.likelihood_ratio, pr.validation, check.source(f, rid, pr.source),
            tuple(pr.validation_sources)))
    missing = [r for r in vocab.prediction_rules if r not in rule_ids]
    if missing:
        raise KnowledgeError(f, None, "prediction_rules", f"no definition for {missing}")

    _unique(f, (v.id for v in rs.visits))
    visits = tuple(
        VisitRule(v.id, check.conditions(f, v.id, v, index, v.stages), v.start_back_risk,
                  v.min_visits, v.max_visits, v.weeks, v.reassess_after_visits, v.text,
                  check.source(f, v.id, v.source))
        for v in rs.visits)

    ex = convert("exercises.yaml", raw["exercises.yaml"], schema.ExercisesFile)
    _unique("exercises.yaml", (e.id for e in ex.exercises))
    exercises = tuple(
        Exercise(e.id, e.name, check.regions("exercises.yaml", e.id, e.regions), e.goal,
                 frozenset(e.targets), e.max_irritability, e.dose, e.instructions, e.progression,
                 e.regression, check.source("exercises.yaml", e.id, e.source))
        for e in ex.exercises)
    for region in vocab.regions:
        if not any(region in e.regions for e in exercises):
            raise KnowledgeError("exercises.yaml", None, "regions", f"no exercise for region {region!r}")

    ed = convert("education.yaml", raw["education.yaml"], schema.EducationFile)
    _unique("education.yaml", (t.id for t in ed.topics))
    education = tuple(
        EducationTopic(t.id, t.title, t.when, t.text, check.source("education.yaml", t.id, t.source),
                       check.regions("education.yaml", t.id, t.regions) if t.regions else None)
        for t in ed.topics)

    from palpa.knowledge.measures_loader import load_measures_from  # it builds on this module

    measures = load_measures_from(directory)
    if "startback" not in measures:
        raise KnowledgeError("measures.yaml", "startback", None, "the plan needs STarT Back scoring")
    return KnowledgeBase(
        version=version, measures=measures, vocabulary=vocab, sources=sources,
        red_flag_definitions=definitions,
        red_flag_rules=tuple(red_rules), contraindications=tuple(contra),
        indications=tuple(indications), prediction_rules=tuple(prediction_rules), guides=guides,
        visit_rules=visits, params=params, exercises=exercises, education=education,
        finding_index=index,
        red_flag_triggers=tuple((r.trigger_mask, r) for r in red_rules),
        contraindication_triggers=tuple((r.trigger_mask, r) for r in contra),
        indications_by_region={
            r: tuple((i.trigger_mask, i) for i in indications
                     if i.conditions.regions is None or r in i.conditions.regions)
            for r in vocab.regions},
        exercises_by_region={r: tuple(e for e in exercises if r in e.regions) for r in vocab.regions},
        exercise_by_id={e.id: e for e in exercises},
    )


@lru_cache(maxsize=1)
def load_knowledge() -> KnowledgeBase:
    """The packaged knowledge base, loaded and validated once per process."""
    return load_from(KNOWLEDGE_DIR)
