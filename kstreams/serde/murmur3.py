"""Murmur3 x64 128-bit hash as Kafka Streams computes it (``state.internals.Murmur3.hash128``).

A foreign-key join hashes the serialized left value into every subscription and checks the
hash when the response comes back, so a Java and a Python application must hash the same
bytes to the same two longs: the seed is Kafka Streams' (104729) and the result is a pair of
signed 64-bit integers, as Java's ``long[]``.

Example::

    hash128(b"hello world")   # (-4798133121895066616, 9029944334911407145)
"""

from __future__ import annotations

import struct

DEFAULT_SEED = 104729
"""Kafka Streams' ``Murmur3.DEFAULT_SEED``."""

_C1 = 0x87C37B91114253D5
_C2 = 0x4CF5AD432745937F
_M = 0xFFFFFFFFFFFFFFFF
_BLOCKS = struct.Struct("<QQ")


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (64 - r))) & _M


def _fmix(k: int) -> int:
    k ^= k >> 33
    k = (k * 0xFF51AFD7ED558CCD) & _M
    k ^= k >> 33
    k = (k * 0xC4CEB9FE1A85EC53) & _M
    k ^= k >> 33
    return k


def _signed(x: int) -> int:
    return x - (1 << 64) if x & (1 << 63) else x


def hash128(data: bytes, seed: int = DEFAULT_SEED) -> tuple[int, int]:
    """The 128-bit Murmur3 hash of ``data`` as two signed 64-bit integers (Java's ``long[2]``)."""
    length = len(data)
    h1 = h2 = seed & _M
    nblocks = length // 16
    unpack = _BLOCKS.unpack_from
    for i in range(nblocks):
        k1, k2 = unpack(data, i * 16)
        k1 = (_rotl((k1 * _C1) & _M, 31) * _C2) & _M
        h1 ^= k1
        h1 = (_rotl(h1, 27) + h2) & _M
        h1 = (h1 * 5 + 0x52DCE729) & _M
        k2 = (_rotl((k2 * _C2) & _M, 33) * _C1) & _M
        h2 ^= k2
        h2 = (_rotl(h2, 31) + h1) & _M
        h2 = (h2 * 5 + 0x38495AB5) & _M
    tail = data[nblocks * 16 :]
    rest = len(tail)
    if rest > 8:
        k2 = int.from_bytes(tail[8:], "little")
        k2 = (_rotl((k2 * _C2) & _M, 33) * _C1) & _M
        h2 ^= k2
    if rest > 0:
        k1 = int.from_bytes(tail[:8], "little")
        k1 = (_rotl((k1 * _C1) & _M, 31) * _C2) & _M
        h1 ^= k1
    h1 ^= length
    h2 ^= length
    h1 = (h1 + h2) & _M
    h2 = (h2 + h1) & _M
    h1 = _fmix(h1)
    h2 = _fmix(h2)
    h1 = (h1 + h2) & _M
    h2 = (h2 + h1) & _M
    return _signed(h1), _signed(h2)
