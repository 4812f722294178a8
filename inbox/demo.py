"""The inbox's demo data: the demo telecom brand's topics and watch terms (idempotent)."""

from __future__ import annotations

from inbox.vocabulary import brand_vocabulary_seed_demo

DEMO_BRAND = "Telco"


def seed() -> None:
    brand_vocabulary_seed_demo(brand=DEMO_BRAND)
