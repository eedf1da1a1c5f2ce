"""The conflict hazard's fast form (``conflicts.hazard``, spelled out for the weekly tick) equals
its readable form: ``base x activity x exp(sum of hazard_terms - co-ownership)``, capped."""

from __future__ import annotations

import math

from conftest import scenarios
from hypothesis import given, settings
from hypothesis import strategies as hs

from partnersim.model import Model
from partnersim.model.conflicts import MAX_HAZARD, activity, hazard, hazard_terms


@settings(max_examples=60, deadline=None)
@given(sc=scenarios(horizon=(7.0, 60.0)), alignment=hs.floats(0, 1), fair=hs.floats(0, 1),
       active=hs.integers(0, 5), missed=hs.floats(0, 5), strain=hs.floats(0, 1))
def test_fast_hazard_equals_the_readable_one(sc, alignment, fair, active, missed, strain):
    m = Model(sc, 0, 0)
    st = m.st
    st.alignment, st.fairness, st.initiatives_active, st.missed_recent = alignment, [fair, 1.0], active, missed
    m.strain = (strain, strain / 2)
    x = sum(hazard_terms(m)) - m._hazard[9]
    readable = min(MAX_HAZARD, m._hazard[6] * activity(m) * math.exp(min(50.0, x)))
    assert math.isclose(hazard(m), readable, rel_tol=1e-12, abs_tol=1e-300)
