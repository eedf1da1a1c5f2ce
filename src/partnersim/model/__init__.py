"""Model layer: the SimPy processes and the state. Imports simpy and numpy only."""

from partnersim.model.core import Model, RunOutput, run_model
from partnersim.model.metrics import METRICS
from partnersim.model.recorder import COLUMN_UNITS, COLUMNS
from partnersim.model.streams import MECHANISM_STREAMS, Stream, make_streams

__all__ = [
    "COLUMNS",
    "COLUMN_UNITS",
    "MECHANISM_STREAMS",
    "METRICS",
    "Model",
    "RunOutput",
    "Stream",
    "make_streams",
    "run_model",
]
