"""What a checkpoint stores, from its safetensors headers: parameters, bytes, dtypes and quantization.

Quantized checkpoints pack several weights into one stored element and add scales, zero points and
indices that are not parameters. Layouts, as the quantizers write them:
- GPTQ / AWQ (``quant_method`` gptq, awq): ``qweight`` int32 holding 32/bits weights each, plus
  ``qzeros``, ``scales`` and (GPTQ) ``g_idx``;
- compressed-tensors (``weight_packed`` int32 + ``weight_scale``/``weight_zero_point``/``weight_shape``);
- bitsandbytes 4-bit: ``weight`` uint8 holding 2 weights each, plus ``absmax``, ``quant_map``,
  ``nested_*`` and ``quant_state.*``; 8-bit: ``weight`` int8 plus ``SCB``/``weight_format``;
- FP8 (DeepSeek-V3, ``fp8``/``fbgemm_fp8``): ``weight`` float8 plus ``weight_scale_inv``/``weight_scale``;
- MXFP4 (gpt-oss): ``*_blocks`` uint8 holding 2 FP4 values each, plus ``*_scales`` (one uint8 exponent
  per 32 values, OCP Microscaling spec v1.0).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from estimator.precision import Precision

# safetensors dtype names → bytes per stored element (safetensors format spec)
DTYPE_BYTES: dict[str, float] = {
    "F64": 8,
    "I64": 8,
    "U64": 8,
    "F32": 4,
    "I32": 4,
    "U32": 4,
    "F16": 2,
    "BF16": 2,
    "I16": 2,
    "U16": 2,
    "F8_E4M3": 1,
    "F8_E5M2": 1,
    "F8_E8M0": 1,
    "I8": 1,
    "U8": 1,
    "BOOL": 1,
    "F4": 0.5,
    "F6_E2M3": 0.75,
    "F6_E3M2": 0.75,
}
_METADATA_SUFFIXES = (
    ".qzeros",
    ".scales",
    ".g_idx",
    ".weight_scale",
    ".weight_scale_inv",
    ".input_scale",
    ".weight_zero_point",
    ".weight_shape",
    ".weight_g_idx",
    ".SCB",
    ".weight_format",
    ".absmax",
    ".quant_map",
    ".nested_absmax",
    ".nested_quant_map",
    "_scales",
)
_INT32_PACKED_SUFFIXES = (".qweight", ".weight_packed")
_SIXTEEN_BIT = frozenset({"F16", "BF16"})


class CheckpointError(ValueError):
    """The safetensors headers do not describe a usable checkpoint."""


@dataclass(frozen=True)
class Tensor:
    """One tensor's header entry."""

    dtype: str
    shape: tuple[int, ...]

    @property
    def elements(self) -> int:
        """Stored elements (the product of the shape; 1 for a scalar)."""
        count = 1
        for size in self.shape:
            count *= size
        return count


@dataclass(frozen=True)
class Checkpoint:
    """Parameters and bytes of a checkpoint, as stored."""

    params: int
    stored_bytes: int
    dtypes: dict[str, int]  # stored elements per safetensors dtype
    quantization: str | None  # e.g. "gptq 4-bit"; None when unquantized
    precision: Precision | None  # the weights' napkin precision (int4 for GPTQ 4-bit…); None if mixed/unknown

    @property
    def bytes_per_param(self) -> float:
        """Stored bytes over parameters: scales, zero points and unquantized layers included."""
        return self.stored_bytes / self.params

    def describe(self) -> str:
        """``BF16`` or ``gptq 4-bit (I32 packed, F16 scales)``: what the weights are stored as."""
        main = ", ".join(sorted(self.dtypes, key=lambda d: -self.dtypes[d]))
        return f"{self.quantization} ({main})" if self.quantization else main


def _bits(quant: Mapping[str, Any]) -> int:
    bits = quant.get("bits")
    if isinstance(bits, int) and bits in {2, 3, 4, 8}:
        return bits
    for group in (quant.get("config_groups") or {}).values():  # compressed-tensors
        weights = group.get("weights") if isinstance(group, Mapping) else None
        if isinstance(weights, Mapping) and isinstance(weights.get("num_bits"), int):
            return int(weights["num_bits"])
    if quant.get("load_in_8bit") is True:
        return 8
    return 4


def _method(quant: Mapping[str, Any] | None) -> str | None:
    if not quant:
        return None
    method = quant.get("quant_method")
    if isinstance(method, str) and method:
        return method.lower()
    if quant.get("load_in_4bit") or quant.get("load_in_8bit"):
        return "bitsandbytes"
    return "unknown"


def _pack_factor(name: str, tensor: Tensor, method: str | None, bits: int) -> int:
    """Weights per stored element: 32/bits for int32-packed, 2 for 4-bit in uint8, else 1."""
    if name.endswith(_INT32_PACKED_SUFFIXES) and tensor.dtype in {"I32", "U32"}:
        return 32 // bits
    if tensor.dtype == "U8" and (name.endswith("_blocks") or (method == "bitsandbytes" and bits == 4)):
        return 2
    return 1


def _is_metadata(name: str) -> bool:
    return name.endswith(_METADATA_SUFFIXES) or ".quant_state." in name


def _precision(method: str | None, bits: int, dtypes: Mapping[str, int]) -> Precision | None:
    if method is None:
        sixteen = {d: n for d, n in dtypes.items() if d in _SIXTEEN_BIT}
        if sixteen and sum(sixteen.values()) >= 0.5 * sum(dtypes.values()):
            return Precision.BF16 if max(sixteen, key=lambda d: sixteen[d]) == "BF16" else Precision.FP16
        return Precision.FP32 if dtypes.get("F32", 0) >= 0.5 * sum(dtypes.values()) else None
    if method == "mxfp4":
        return Precision.FP4
    if method in {"fp8", "fbgemm_fp8"} or any(d.startswith("F8_") and d != "F8_E8M0" for d in dtypes):
        return Precision.FP8
    if bits == 8:
        return Precision.INT8
    if bits == 4:
        return Precision.INT4
    return None


def summarize(tensors: Mapping[str, Tensor], quantization_config: Mapping[str, Any] | None) -> Checkpoint:
    """Parameters (quantized weights unpacked, scales and indices left out) and bytes as stored."""
    if not tensors:
        raise CheckpointError("the safetensors headers list no tensors")
    method = _method(quantization_config)
    bits = _bits(quantization_config or {})
    params = 0
    stored = 0.0
    dtypes: dict[str, int] = {}
    for name, tensor in tensors.items():
        width = DTYPE_BYTES.get(tensor.dtype)
        if width is None:
            raise CheckpointError(f"tensor `{name}` has an unknown dtype `{tensor.dtype}`")
        elements = tensor.elements
        stored += elements * width
        dtypes[tensor.dtype] = dtypes.get(tensor.dtype, 0) + elements
        if method is None or not _is_metadata(name):
            params += elements * _pack_factor(name, tensor, method, bits)
    if params <= 0:
        raise CheckpointError("the safetensors headers hold no parameters")
    label = None
    if method is not None:
        label = method if method in {"fp8", "fbgemm_fp8", "mxfp4"} else f"{method} {bits}-bit"
    return Checkpoint(
        params=params,
        stored_bytes=round(stored),
        dtypes=dtypes,
        quantization=label,
        precision=_precision(method, bits, dtypes),
    )
