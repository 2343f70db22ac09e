"""Settings of the tiny-model engine used by the tests.

Small images and few tokens keep the whole module fast on two CPU cores. The tiny model's reply
takes about 85 tokens, so 128 leaves room without letting a bad case run long.
"""

from __future__ import annotations

TINY_MIN_PIXELS = 4 * 32 * 32
TINY_MAX_PIXELS = 16 * 32 * 32
TINY_MAX_NEW_TOKENS = 128
