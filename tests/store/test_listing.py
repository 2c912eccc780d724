"""Patient listing: pagination, name substring and date-of-birth range."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session, sessionmaker

from palpa.store import UnitOfWork

Factory = sessionmaker[Session]
PEOPLE = [("Alice Brown", dt.date(1950, 3, 1)), ("Bob Brownlee", dt.date(1960, 6, 15)),
          ("Carla Diaz", dt.date(1970, 1, 1)), ("Dan 100%_Real", dt.date(1980, 12, 31)),
          ("Eve Black", None), ("frank brown", dt.date(2000, 2, 29)), ("Gina Green", dt.date(1990, 7, 7))]


@pytest.fixture
def clinic(factory: Factory, clinics: tuple[int, int]) -> int:
    a, b = clinics
    with UnitOfWork(factory) as uow:
        for name, born in PEOPLE:
            uow.patients.add(a, name, born)
        uow.patients.add(b, "Zed Brown", dt.date(1960, 1, 1))
        uow.commit()
    return a


def test_pagination(factory: Factory, clinic: int) -> None:
    with UnitOfWork(factory) as uow:
        pages = [uow.patients.list(clinic, limit=3, offset=off) for off in (0, 3, 6)]
        assert [p.total for p in pages] == [7, 7, 7]
        names = [x.name for p in pages for x in p.items]
        assert len(names) == 7 and set(names) == {n for n, _ in PEOPLE}
        assert [len(p.items) for p in pages] == [3, 3, 1]
        assert uow.patients.list(clinic, limit=3, offset=9).items == []
        with pytest.raises(ValueError):
            uow.patients.list(clinic, limit=0)


def test_name_filter_is_case_insensitive_substring(factory: Factory, clinic: int) -> None:
    with UnitOfWork(factory) as uow:
        page = uow.patients.list(clinic, name="BROWN")
        assert sorted(p.name for p in page.items) == ["Alice Brown", "Bob Brownlee", "frank brown"]
        assert page.total == 3
        assert [p.name for p in uow.patients.list(clinic, name="%_").items] == ["Dan 100%_Real"]
        assert uow.patients.list(clinic, name="nobody").total == 0


def test_date_of_birth_range(factory: Factory, clinic: int) -> None:
    with UnitOfWork(factory) as uow:
        between = uow.patients.list(clinic, born_from=dt.date(1960, 6, 15), born_to=dt.date(1980, 12, 31))
        assert sorted(p.name for p in between.items) == ["Bob Brownlee", "Carla Diaz", "Dan 100%_Real"]
        after = uow.patients.list(clinic, born_from=dt.date(1990, 1, 1), name="g")
        assert [p.name for p in after.items] == ["Gina Green"]
        assert uow.patients.list(clinic, born_to=dt.date(1955, 1, 1)).total == 1
