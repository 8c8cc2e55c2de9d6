"""Records of the project's models: what a manager chain answers, and whose fields a
record's own methods read (analysis/frame.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.projects import scan, write_project

MODELS = """\
from datetime import date

from django.db import models


class Owner(models.Model):
    first_name = models.CharField(max_length=80)
    email = models.EmailField()


class Pet(models.Model):
    owner = models.ForeignKey(Owner, on_delete=models.CASCADE)
    name = models.CharField(max_length=80)
    date_of_birth = models.DateField(null=True)

    @property
    def age_years(self):
        return (date.today() - self.date_of_birth).days // 365
"""

SERVICE = """\
import analytics

from .models import Pet


def register_pet(owner, name, date_of_birth=None):
    pet = Pet.objects.create(owner=owner, name=name, date_of_birth=date_of_birth)
    analytics.track("clinic", "Pet Created", {"pet_name": pet.name, "age": pet.age_years})
    return pet


def pet_owner(pet_id):
    owner = Pet.objects.select_related("owner").get(pk=pet_id).owner
    analytics.track("clinic", "Owner Seen", {"owner": owner.pk})
"""


def test_a_pets_own_getter_reads_no_persons_date_of_birth(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, catalog) -> None:
    root = write_project(tmp_path, monkeypatch, {
        "clinic/__init__.py": "", "clinic/models.py": MODELS, "clinic/service.py": SERVICE})
    found = {(f.span.line, f.categories) for f in scan(root, catalog, False).findings}
    # the pet is no person (its age is clean); its owner, through the ForeignKey, is
    assert found == {(14, ("user_id",))}
