"""Layers: each has an explicit forward and backward (see `Layer`)."""

from minitorch_np.layers.activation import LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from minitorch_np.layers.batchnorm import BatchNorm1d
from minitorch_np.layers.batchnorm2d import BatchNorm2d
from minitorch_np.layers.conv2d import Conv2d
from minitorch_np.layers.dropout import Dropout
from minitorch_np.layers.flatten import Flatten
from minitorch_np.layers.layer import Layer
from minitorch_np.layers.linear import Linear
from minitorch_np.layers.pooling import AvgPool2d, GlobalAvgPool2d, MaxPool2d
from minitorch_np.layers.sequential import Sequential

__all__ = [
    "AvgPool2d",
    "BatchNorm1d",
    "BatchNorm2d",
    "Conv2d",
    "Dropout",
    "Flatten",
    "GlobalAvgPool2d",
    "Layer",
    "LeakyReLU",
    "Linear",
    "MaxPool2d",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
]
