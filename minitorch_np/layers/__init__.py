"""Layers: each has an explicit forward and backward (see `Layer`)."""

from minitorch_np.layers.activation import ReLU, Sigmoid, Tanh
from minitorch_np.layers.flatten import Flatten
from minitorch_np.layers.layer import Layer
from minitorch_np.layers.linear import Linear
from minitorch_np.layers.sequential import Sequential

__all__ = ["Flatten", "Layer", "Linear", "ReLU", "Sequential", "Sigmoid", "Tanh"]
