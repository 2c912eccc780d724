"""The FHIR mapping tables: schema and cross-reference checks name the file, entry and field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from palpa.interop.codes import CODES_DIR, FILE, load_code_tables, load_tables_from
from palpa.knowledge.episode_loader import load_billing
from palpa.knowledge.loader import KnowledgeError, load_knowledge

SOURCE = CODES_DIR / FILE


def write(tmp_path: Path, edit: object) -> Path:
    data = yaml.safe_load(SOURCE.read_text())
    edit(data)  # type: ignore[operator]
    path = tmp_path / FILE
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(("edit", "entry", "field"), [
    (lambda d: d["findings"].update(numb_toes={"resource": "Observation", "codes": []}),
     "numb_toes", "findings"),
    (lambda d: d["findings"]["osteoporosis"]["codes"][0].update(source="nowhere2020"),
     "osteoporosis", "source"),
    (lambda d: d["findings"]["osteoporosis"]["codes"][0].update(system="read_v2"), "osteoporosis", "codes"),
    (lambda d: d["findings"]["osteoporosis"]["codes"][0].update(colour="red"), "osteoporosis", "codes"),
    (lambda d: d["findings"]["osteoporosis"]["codes"][0].update(match="prefix"), "osteoporosis", "codes"),
    (lambda d: d["regions"].update(neck={"body_site": [], "complaint": []}), "neck", "regions"),
    (lambda d: d["case_measures"]["odi_percent"].update(measure="oswestry"), "odi_percent", "measure"),
    (lambda d: d["techniques"].pop("iastm"), "iastm", "techniques"),
])
def test_a_bad_entry_names_file_entry_and_field(tmp_path: Path, edit: object, entry: str, field: str) -> None:
    path = write(tmp_path, edit)
    with pytest.raises(KnowledgeError) as info:
        load_tables_from(path, load_knowledge(), load_billing())
    err = info.value
    assert (err.file, err.entry, err.field) == (FILE, entry, field)
    assert str(err).startswith(f"{FILE}, entry {entry!r}, field {field!r}: ")


def test_an_unknown_key_is_named_in_the_message(tmp_path: Path) -> None:
    path = write(tmp_path, lambda d: d["findings"]["osteoporosis"]["codes"][0].update(colour="red"))
    with pytest.raises(KnowledgeError, match="unknown field `colour`"):
        load_tables_from(path, load_knowledge(), load_billing())


def test_tables_name_only_vocabulary_codes_and_list_every_finding() -> None:
    data = yaml.safe_load(SOURCE.read_text())
    vocab = load_knowledge().vocabulary
    assert list(data["findings"]) == list(vocab.findings)  # each finding's resource is chosen, in order
    assert set(data["regions"]) == set(vocab.regions)
    assert set(data["techniques"]) == set(vocab.techniques)


def test_every_entry_cites_a_known_source() -> None:
    data = yaml.safe_load(SOURCE.read_text())
    sources = load_knowledge().sources
    cited = [c["source"] for section in ("findings", "techniques") for e in data[section].values()
             for c in e["codes"]]
    cited += [c["source"] for r in data["regions"].values() for c in r["body_site"] + r["complaint"]]
    cited += [m["source"] for m in data["case_measures"].values()]
    assert cited and all(s in sources for s in cited)


def test_every_finding_region_and_technique_has_a_coding_to_write() -> None:
    t = load_code_tables()
    vocab = load_knowledge().vocabulary
    assert all(t.finding_codings[f] for f in vocab.findings)
    assert all(t.region_body_sites[r] for r in vocab.regions)
    cpt = t.system_urls["cpt"]
    assert all(any(c["system"] == cpt for c in t.technique_codings[x]) for x in vocab.techniques)
