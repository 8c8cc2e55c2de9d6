from __future__ import annotations

import pytest

from flowscan.catalog import Catalog, load_catalog


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    """The bundled rules, loaded and schema-validated once per test session."""
    return load_catalog()
