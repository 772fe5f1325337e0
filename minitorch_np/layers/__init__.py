"""Layers: each has an explicit forward and backward (see `Layer`)."""

from minitorch_np.layers.activation import LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from minitorch_np.layers.batchnorm import BatchNorm1d
from minitorch_np.layers.dropout import Dropout
from minitorch_np.layers.flatten import Flatten
from minitorch_np.layers.layer import Layer
from minitorch_np.layers.linear import Linear
from minitorch_np.layers.sequential import Sequential

__all__ = [
    "BatchNorm1d",
    "Dropout",
    "Flatten",
    "Layer",
    "LeakyReLU",
    "Linear",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
]
