"""Golden answers: napkin's real output over the catalog pinned in tests/data/golden_catalog."""
