"""Stateless array functions shared by layers and losses (no parameters, no cache).

All of them work along one axis (the class axis, last by default), keep the
input dtype, and are written so that ``exp`` never overflows: the row maximum
is subtracted first (log-sum-exp), which changes nothing mathematically because
softmax is shift invariant, softmax(z + c) = softmax(z). ``exp`` of a very
negative number underflows to exactly 0, which is the right answer, so that
underflow is not reported even under ``np.errstate(all="raise")``.
"""

from __future__ import annotations

import numpy as np

from minitorch_np._validation import check_float_array


def logsumexp(z: np.ndarray, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    """log(sum_k exp(z_k)) along ``axis``, computed as m + log(sum_k exp(z_k - m))
    with m = max_k z_k, so every exponent is <= 0 and the sum lies in [1, K].

    An infinite maximum is not subtracted (m = 0 there, as in PyTorch), so a
    slice of -inf gives -inf, one with +inf gives +inf (not inf - inf = NaN),
    and an empty slice gives log(0) = -inf."""
    check_float_array("logsumexp", "z", z)
    peak = z.max(axis=axis, keepdims=True, initial=-np.inf)
    peak[np.isinf(peak)] = 0
    with np.errstate(under="ignore", divide="ignore"):  # log(0) = -inf is the answer
        total = np.exp(z - peak).sum(axis=axis, keepdims=True)
        result = peak + np.log(total)
    return result if keepdims else np.squeeze(result, axis=axis)


def log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """log softmax(z) = z - logsumexp(z) along ``axis`` (same shape as ``z``).

    Written as (z - m) - log(sum exp(z - m)) so large logits (e.g. +-1e4) give
    finite log-probabilities (at most 0) without any clipping.
    """
    check_float_array("log_softmax", "z", z)
    shifted = z - z.max(axis=axis, keepdims=True)
    with np.errstate(under="ignore"):
        log_norm = np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    return shifted - log_norm


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """p_k = exp(z_k) / sum_j exp(z_j) along ``axis`` (same shape as ``z``).

    Each slice along ``axis`` is a probability vector: entries in [0, 1] that
    sum to 1. Computed as exp(log_softmax(z)).
    """
    log_probs = log_softmax(z, axis=axis)
    with np.errstate(under="ignore"):
        return np.exp(log_probs)
