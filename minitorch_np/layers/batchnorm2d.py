"""`BatchNorm2d`: normalise each channel of an NCHW batch over N, H and W."""

from __future__ import annotations

import numpy as np

from minitorch_np._validation import check_backward_ready, check_grad_shape
from minitorch_np.layers._image import check_image_batch
from minitorch_np.layers.batchnorm import BatchNorm1d


class BatchNorm2d(BatchNorm1d):
    """Batch normalisation of an (N, C, H, W) input, per channel c: the
    `BatchNorm1d` formulas with the N * H * W pixels of channel c as its
    samples (so the mean, the biased variance and the unbiased variance of
    the running estimate are over N * H * W values)::

        x_hat = (x - mean_c) / sqrt(var_c + eps),   y = gamma_c * x_hat + beta_c

    It is BatchNorm1d applied to the (N*H*W, C) matrix of channels-last rows,
    and its backward is BatchNorm1d's on those rows (see `BatchNorm1d`), with
    ``weight``, ``bias``, ``running_mean``, ``running_var`` and
    ``num_batches_tracked`` of shape (C,) (the last one ()) saved by
    ``state_dict`` under the same names.

    The output and dL/dx are NCHW views of channels-last memory (see
    `minitorch_np.im2col`). Arguments as `BatchNorm1d`'s, ``num_features`` = C.
    """

    #: The shape of the last forward's input (None before the first forward).
    _image_shape: tuple[int, ...] | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._check_image(x)
        self._image_shape = x.shape
        return _to_image(super().forward(_channel_rows(x)), x.shape)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        shape = self._image_shape
        check_backward_ready(repr(self), shape)
        assert shape is not None
        check_grad_shape(repr(self), grad_output, shape)
        return _to_image(super().backward(_channel_rows(grad_output)), shape)

    def _check_image(self, x: np.ndarray) -> None:
        owner = repr(self)
        check_image_batch(owner, x, self.num_features, self._layer_dtype())
        n, _, h, w = x.shape
        if self._uses_batch_statistics() and n * h * w < 2:
            raise ValueError(
                f"{owner}: expected more than 1 value per channel {self._batch_mode()} "
                f"(a batch variance needs 2 or more), got input of shape "
                f"{x.shape}; use more samples or pixels{self._eval_hint()}"
            )


def _to_image(rows: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """(N*H*W, C) rows -> an (N, C, H, W) view (channels-last memory)."""
    n, c, h, w = shape
    return rows.reshape(n, h, w, c).transpose(0, 3, 1, 2)


def _channel_rows(x: np.ndarray) -> np.ndarray:
    """(N, C, H, W) -> (N*H*W, C): one row per pixel (a view when x is channels-last)."""
    return x.transpose(0, 2, 3, 1).reshape(-1, x.shape[1])
