"""Demo content for `palpa demo`: fictional patients, their intake cases (the contract's shape) and
one full episode of visits and outcome measures (src/palpa/data/demo_episode.json).

Every name here is invented; `DEMO_MARK` in each external reference lets the seeder find what it made.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DEMO_CLINIC_NAME = "Palpa Demo Clinic"
DEMO_CLINIC_PHONE = "+1 555 0100"  # a reserved fictional number
DEMO_CLINIC_EMAIL = "front-desk@palpa.example"
DEMO_CLINIC_ADDRESS = "1 Example Street, Sampletown"
DEMO_USER_EMAIL = "demo@palpa.example"
DEMO_MARK = "demo-"

# The lumbar demo patient's episode (intake, six visits, NPRS/ODI) is the packaged example
# episode, also shown to users as examples/episodes/lumbar_episode.json.
_EPISODE: dict[str, Any] = json.loads(
    (Path(__file__).parent / "data" / "demo_episode.json").read_text(encoding="utf-8"))
LUMBAR_INTAKE: dict[str, Any] = _EPISODE["intake"]
LUMBAR_VISITS: list[dict[str, Any]] = _EPISODE["visits"]
LUMBAR_MEASURES: list[dict[str, Any]] = _EPISODE["measures"]


PATIENTS: list[dict[str, Any]] = [
    {
        "external_ref": "demo-0001",
        "name": "Ada Examplesen (demo)",
        "date_of_birth": "1990-05-14",
        "sex": "female",
        "episode": {"region": "lumbar", "start_date": "2025-03-03"},
        "case": {
            "id": "demo-0001-intake", "age": 34, "sex": "female", "region": "lumbar", "onset": "insidious",
            "duration_days": 35, "pain_nprs": 5, "irritability": "moderate",
            "findings": ["segmental_hypomobility", "muscle_guarding"],
            "measures": {"fabq_work": 12, "hip_internal_rotation_deg": 40},
            "note": "Low back pain for 5 weeks after gardening, no leg symptoms. Worse with sitting.",
        },
        "visits": LUMBAR_VISITS,
        "measures": LUMBAR_MEASURES,
    },
    {
        "external_ref": "demo-0002",
        "name": "Bram Fictivus (demo)",
        "date_of_birth": "1969-02-03",
        "sex": "male",
        "episode": {"region": "cervical", "start_date": "2025-04-07"},
        "case": {
            "id": "demo-0002-intake", "age": 56, "sex": "male", "region": "cervical", "onset": "insidious",
            "duration_days": 200, "pain_nprs": 3, "irritability": "low",
            "findings": ["resistance_before_pain", "joint_hypomobility", "myofascial_trigger_points"],
            "measures": {"ndi_percent": 24},
            "note": "Stiff neck for about 7 months, desk work, turning to reverse the car is hard.",
        },
    },
    {
        "external_ref": "demo-0003",
        "name": "Cora Placeholder (demo)",
        "date_of_birth": "1954-09-22",
        "sex": "female",
        "episode": {"region": "lumbar", "start_date": "2025-04-14"},
        "case": {
            "id": "demo-0003-intake", "age": 71, "sex": "female", "region": "lumbar", "onset": "insidious",
            "duration_days": 240, "pain_nprs": 4, "irritability": "low",
            "findings": ["osteoporosis", "resistance_before_pain", "segmental_hypomobility",
                         "reduced_muscle_length"],
            "measures": {"odi_percent": 28},
        },
    },
    {
        "external_ref": "demo-0004",
        "name": "Dev Imaginary (demo)",
        "date_of_birth": "1972-11-30",
        "sex": "male",
        "episode": {"region": "shoulder", "start_date": "2025-05-05"},
        "case": {
            "id": "demo-0004-intake", "age": 52, "sex": "male", "region": "shoulder",
            "onset": "insidious",
            "duration_days": 150, "pain_nprs": 4, "irritability": "low",
            "findings": ["resistance_before_pain", "joint_hypomobility", "reduced_muscle_length"],
            "note": ("Frozen shoulder, freezing phase over; cannot reach the top shelf "
                     "or fasten a seatbelt."),
        },
    },
    {
        "external_ref": "demo-0005",
        "name": "Eva Mockridge (demo)",
        "date_of_birth": "2001-07-08",
        "sex": "female",
        "episode": {"region": "ankle_foot", "start_date": "2025-05-19"},
        "case": {
            "id": "demo-0005-intake", "age": 23, "sex": "female", "region": "ankle_foot",
            "onset": "traumatic",
            "duration_days": 10, "pain_nprs": 5, "irritability": "moderate",
            "findings": ["pain_before_resistance", "muscle_guarding"],
            "note": "Inversion sprain of the right ankle playing netball 10 days ago; walks with a limp.",
        },
    },
]
