"""Numeric precisions and how many bytes a value takes in each."""

from __future__ import annotations

from enum import StrEnum


class Precision(StrEnum):
    """A numeric format for weights, activations or tensor-core math."""

    FP32 = "fp32"
    TF32 = "tf32"
    BF16 = "bf16"
    FP16 = "fp16"
    FP8 = "fp8"
    INT8 = "int8"
    FP4 = "fp4"
    INT4 = "int4"


BYTES_PER_VALUE: dict[Precision, float] = {
    Precision.FP32: 4.0,
    Precision.TF32: 4.0,  # stored as fp32
    Precision.BF16: 2.0,
    Precision.FP16: 2.0,
    Precision.FP8: 1.0,
    Precision.INT8: 1.0,
    Precision.FP4: 0.5,
    Precision.INT4: 0.5,
}

# QLoRA's NF4 with double quantization: 4 bits plus ~0.127 bits of scales per parameter
# (Dettmers et al. 2023, arXiv 2305.14314, §2): 4.127 / 8 ≈ 0.516 bytes.
NF4_BYTES_PER_PARAM = 4.127 / 8

PRECISION_ALIASES: dict[str, Precision] = {
    "fp32": Precision.FP32,
    "float32": Precision.FP32,
    "f32": Precision.FP32,
    "tf32": Precision.TF32,
    "bf16": Precision.BF16,
    "bfloat16": Precision.BF16,
    "fp16": Precision.FP16,
    "float16": Precision.FP16,
    "f16": Precision.FP16,
    "half": Precision.FP16,
    "fp8": Precision.FP8,
    "float8": Precision.FP8,
    "int8": Precision.INT8,
    "8bit": Precision.INT8,
    "8-bit": Precision.INT8,
    "fp4": Precision.FP4,
    "nvfp4": Precision.FP4,
    "int4": Precision.INT4,
    "4bit": Precision.INT4,
    "4-bit": Precision.INT4,
    "nf4": Precision.INT4,
}


def parse_precision(text: str) -> Precision | None:
    """Return the precision a user wrote (``bf16``, ``int4``, ``float16``…), or None."""
    return PRECISION_ALIASES.get(text.strip().lower())
