"""Channel coding of the invisible watermark: CRC-16 for validity, a tail-biting convolutional
code (K=7, rate 1/2, generators 171/133 octal) with soft Viterbi decoding for error
correction, and a keyed interleaver against bursts.

Tail-biting suits a message that repeats end to end: the encoder starts in the state its
last six bits leave, so no tail is spent, and the decoder runs the Viterbi algorithm over three
turns of the circle and keeps the middle one.
"""

from __future__ import annotations

import numpy as np

PAYLOAD_BITS = 32
CRC_BITS = 16
MESSAGE_BITS = PAYLOAD_BITS + CRC_BITS
CONSTRAINT = 7
GENERATORS = (0o171, 0o133)
CODED_BITS = MESSAGE_BITS * len(GENERATORS)
STATES = 1 << (CONSTRAINT - 1)
WRAPS = 3


def crc16(data: bytes) -> int:
    """CRC-16/CCITT-FALSE."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def to_bits(data: bytes) -> np.ndarray:
    return np.unpackbits(np.frombuffer(data, dtype=np.uint8))


def _parity(value: int) -> int:
    return bin(value).count("1") & 1


def _outputs(register: int) -> tuple[int, ...]:
    return tuple(_parity(register & g) for g in GENERATORS)


def _trellis() -> tuple[np.ndarray, np.ndarray]:
    """For each next state and each of its two predecessors: the predecessor and the
    antipodal (+/-1) code outputs of that branch."""
    previous = np.zeros((STATES, 2), dtype=np.int64)
    outputs = np.zeros((STATES, 2, len(GENERATORS)))
    for next_state in range(STATES):
        bit = next_state >> (CONSTRAINT - 2)
        for branch in range(2):
            state = ((next_state << 1) & (STATES - 1)) | branch
            register = (bit << (CONSTRAINT - 1)) | state
            previous[next_state, branch] = state
            outputs[next_state, branch] = [2 * o - 1 for o in _outputs(register)]
    return previous, outputs


_PREVIOUS, _BRANCH_OUTPUTS = _trellis()


def convolve(message: np.ndarray) -> np.ndarray:
    """Tail-biting convolutional encoding of 0/1 bits; two code bits per message bit."""
    state = 0
    for bit in message[-(CONSTRAINT - 1) :]:
        state = ((int(bit) << (CONSTRAINT - 1)) | state) >> 1
    coded = []
    for bit in message:
        register = (int(bit) << (CONSTRAINT - 1)) | state
        coded.extend(_outputs(register))
        state = register >> 1
    return np.array(coded, dtype=np.uint8)


def viterbi(soft: np.ndarray) -> np.ndarray:
    """Soft-decision, wrap-around Viterbi decoding of a tail-biting code (positive = 1)."""
    pairs = np.asarray(soft, dtype=np.float64).reshape(-1, len(GENERATORS))
    steps = np.tile(pairs, (WRAPS, 1))
    metric = np.zeros(STATES)
    decisions = np.zeros((steps.shape[0], STATES), dtype=np.int8)
    for step, received in enumerate(steps):
        candidates = metric[_PREVIOUS] + _BRANCH_OUTPUTS @ received
        choice = np.argmax(candidates, axis=1)
        decisions[step] = choice
        metric = candidates[np.arange(STATES), choice]
    state = int(np.argmax(metric))
    bits = np.zeros(steps.shape[0], dtype=np.uint8)
    for step in range(steps.shape[0] - 1, -1, -1):
        bits[step] = state >> (CONSTRAINT - 2)
        state = int(_PREVIOUS[state, decisions[step, state]])
    n = pairs.shape[0]
    return bits[n : 2 * n]


def encode(payload: bytes) -> np.ndarray:
    """Payload (4 bytes) -> CRC-appended 48-bit message -> 96 code bits (0/1)."""
    if len(payload) * 8 != PAYLOAD_BITS:
        raise ValueError(f"payload must be {PAYLOAD_BITS // 8} bytes, got {len(payload)}")
    return convolve(to_bits(payload + crc16(payload).to_bytes(2, "big")))


def decode_soft(soft: np.ndarray) -> tuple[bytes | None, int]:
    """Soft values (positive = bit 1) -> (payload if the CRC holds, code bits corrected)."""
    message = viterbi(soft)
    corrected = int(np.sum((np.asarray(soft) > 0).astype(np.uint8) != convolve(message)))
    data = np.packbits(message).tobytes()
    payload, crc = data[: PAYLOAD_BITS // 8], int.from_bytes(data[PAYLOAD_BITS // 8 :], "big")
    return (payload if crc16(payload) == crc else None), corrected


def interleaver(rng: np.random.Generator) -> np.ndarray:
    """A keyed permutation: coded bit k is sent at slot permutation[k]."""
    return rng.permutation(CODED_BITS)
