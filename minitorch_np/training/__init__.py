"""Training: the `Trainer` loop, its `History`, callbacks and checkpoints."""

from minitorch_np.training.callbacks import (
    Callback,
    EarlyStopping,
    LearningRateScheduler,
    ModelCheckpoint,
)
from minitorch_np.training.checkpoint import (
    Checkpoint,
    load_checkpoint,
    save_checkpoint,
)
from minitorch_np.training.history import History
from minitorch_np.training.trainer import Trainer

__all__ = [
    "Callback",
    "Checkpoint",
    "EarlyStopping",
    "History",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "Trainer",
    "load_checkpoint",
    "save_checkpoint",
]
