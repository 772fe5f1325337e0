"""SHA-256 verification of decompressed file contents."""

from __future__ import annotations

import hashlib

__all__ = ["ChecksumError", "sha256_hex", "verify_sha256"]


class ChecksumError(ValueError):
    """The SHA-256 of a file's decompressed payload is not the expected one."""

    def __init__(
        self, source: str, expected: str, actual: str, advice: str = ""
    ) -> None:
        self.source, self.expected, self.actual = source, expected, actual
        message = (
            f"{source}: SHA-256 of the decompressed payload is {actual}, expected {expected}; "
            "the file is corrupt or not the original."
        )
        super().__init__(f"{message} {advice}".rstrip())
        self.advice = advice

    def __reduce__(self) -> tuple[type, tuple[str, str, str, str]]:
        return (type(self), (self.source, self.expected, self.actual, self.advice))


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 digest of ``data``."""
    return hashlib.sha256(data).hexdigest()


def verify_sha256(data: bytes, expected: str, source: str, advice: str = "") -> None:
    """Raise :class:`ChecksumError` (naming ``source``) unless sha256(data) == expected."""
    actual = sha256_hex(data)
    if actual != expected.lower():
        raise ChecksumError(source, expected.lower(), actual, advice)
