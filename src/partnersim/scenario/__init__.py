"""Scenario layer: the validated schema, TOML files and clear input errors."""

from partnersim.scenario.checks import message_load, plausibility_warnings
from partnersim.scenario.io import (
    InputError,
    bundled_dir,
    dumps_scenario,
    find_scenario_file,
    load_scenario,
    read_toml,
    read_toml_bytes,
    save_scenario,
    scenario_from_dict,
)
from partnersim.scenario.schema import (
    ATTRIBUTION_RULES,
    FUNDING_RULES,
    Intervention,
    Policy,
    Scenario,
    field_units,
    leaf_fields,
    with_changes,
)

__all__ = [
    "ATTRIBUTION_RULES",
    "FUNDING_RULES",
    "InputError",
    "Intervention",
    "Policy",
    "Scenario",
    "bundled_dir",
    "dumps_scenario",
    "field_units",
    "find_scenario_file",
    "leaf_fields",
    "load_scenario",
    "message_load",
    "plausibility_warnings",
    "read_toml",
    "read_toml_bytes",
    "save_scenario",
    "scenario_from_dict",
    "with_changes",
]
