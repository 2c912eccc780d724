"""The patient handout as PDF (WeasyPrint): a real PDF, the exercises in it, the right paper size."""

from __future__ import annotations

import re
import shutil
import subprocess
import zlib
from typing import Any

import pytest
from tests.conftest import AssessFn

from palpa.core.knowledge import KnowledgeBase
from palpa.reports.handout import ClinicContact, Handout, build_handout, render_handout_pdf

LOW_BACK = {"region": "lumbar", "duration_days": 9, "irritability": "moderate",
            "findings": ["segmental_hypomobility", "muscle_guarding"]}
POINTS = {"A4": (595.28, 841.89), "Letter": (612.0, 792.0)}  # ISO 216 and US Letter in PostScript points


def pdf_objects(pdf: bytes) -> bytes:
    """The PDF with every Flate stream inflated (page dictionaries may sit in object streams)."""
    parts = [pdf]
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            parts.append(zlib.decompress(m.group(1)))
        except zlib.error:
            continue  # not a Flate stream (e.g. an embedded font program)
    return b"\n".join(parts)


def outline_titles(pdf: bytes) -> list[str]:
    """Titles of the PDF's bookmarks (WeasyPrint makes one per heading)."""
    titles = []
    for m in re.finditer(rb"/Title (\((?:\\.|[^\\)])*\)|<[0-9A-Fa-f]*>)", pdf_objects(pdf)):
        raw = m.group(1)
        if raw.startswith(b"<"):
            titles.append(bytes.fromhex(raw[1:-1].decode()).decode("utf-16"))
        else:
            titles.append(re.sub(rb"\\(.)", rb"\1", raw[1:-1]).decode("latin-1"))
    return titles


def media_boxes(pdf: bytes) -> list[tuple[float, float]]:
    boxes = re.findall(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf_objects(pdf))
    return [(float(w), float(h)) for w, h in boxes]


@pytest.fixture(scope="module")
def handout(run: AssessFn, kb: KnowledgeBase) -> Handout:
    return build_handout(run(**LOW_BACK), kb, ClinicContact("Main Street Physio", phone="+1 555 0100"),
                         patient_name="Ana Silva")


@pytest.fixture(scope="module")
def pdfs(handout: Handout) -> dict[str, bytes]:
    return {size: render_handout_pdf(handout, size) for size in ("A4", "Letter")}  # type: ignore[arg-type]


def test_the_pdf_is_a_pdf_with_the_exercises_as_headings(handout: Handout, pdfs: dict[str, bytes]) -> None:
    pdf = pdfs["A4"]
    assert pdf.startswith(b"%PDF-") and len(pdf) > 5000 and pdf.rstrip().endswith(b"%%EOF")
    titles = outline_titles(pdf)
    assert handout.exercises
    for n, ex in enumerate(handout.exercises, 1):
        assert f"{n}. {ex.name}" in titles
    assert "Warning signs: stop and get help" in titles


@pytest.mark.parametrize("size", ["A4", "Letter"])
def test_every_page_has_the_requested_paper_size(pdfs: dict[str, bytes], size: str) -> None:
    boxes = media_boxes(pdfs[size])
    assert len(boxes) >= 2  # several pages
    width, height = POINTS[size]
    for w, h in boxes:
        assert w == pytest.approx(width, abs=0.5) and h == pytest.approx(height, abs=0.5)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_the_pdf_text_has_each_exercise_dose_and_the_clinic(handout: Handout, pdfs: dict[str, bytes]) -> None:
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdfs["Letter"], capture_output=True,
                          check=True).stdout.decode()
    flat = " ".join(text.split())

    def words(s: str) -> str:
        return " ".join(s.split())

    for ex in handout.exercises:
        assert words(ex.name) in flat and words(ex.dose) in flat
    assert "Main Street Physio" in flat and "Ana Silva" in flat
    assert re.search(r"Page 1 of \d", flat)


def test_an_emergency_handout_pdf_has_no_exercise_headings(run: AssessFn, kb: KnowledgeBase) -> None:
    a: dict[str, Any] = run(region="lumbar", duration_days=3, findings=["saddle_anesthesia"])
    pdf = render_handout_pdf(build_handout(a, kb, ClinicContact("Main Street Physio")))
    titles = outline_titles(pdf)
    assert not any(re.match(r"\d+\. ", t) for t in titles)
    assert "Your home program" not in titles
    assert any("emergency department" in t for t in titles)
