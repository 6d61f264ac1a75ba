"""Typed answers the estimator returns; their JSON form is napkin's public contract (README)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, NamedTuple, TypeVar, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler
from pydantic_core import CoreSchema, core_schema

from estimator.precision import Precision

Mode = Literal["inference", "train", "lora", "qlora"]
Verdict = Literal["fits_one_gpu", "fits_n_gpus", "needs_offload", "does_not_fit"]
_Model = TypeVar("_Model", bound=BaseModel)


def trusted(model: type[_Model], fields: dict[str, Any]) -> _Model:
    """``model`` from ``fields`` that the estimator computed itself (every field present, each of its
    declared type), unvalidated: what ``model.model_construct(**fields)`` builds, without its
    per-field loop. An answer builds a dozen models, and validating them would cost more than the
    arithmetic behind them; tests/test_results_trusted.py checks both routes build the same models.
    Serialization follows the instance's field order, so fields given out of order are reordered."""
    order = _FIELD_ORDER.get(model)
    if order is None:
        order = _FIELD_ORDER[model] = tuple(model.model_fields)
    if tuple(fields) != order:
        fields = {name: fields[name] for name in order}
    instance = _new_object(model)
    _set_slot(instance, "__dict__", fields)
    _set_slot(instance, "__pydantic_fields_set__", set(order))
    _set_slot(instance, "__pydantic_extra__", None)
    _set_slot(instance, "__pydantic_private__", None)
    return instance


_FIELD_ORDER: dict[type[BaseModel], tuple[str, ...]] = {}
_new_object = object.__new__
_set_slot = object.__setattr__


def _record_schema(record: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
    """How a model field holding a named-tuple ``record`` validates and serializes: an instance as is,
    otherwise (and in JSON) an object of the record's fields."""
    fields = core_schema.typed_dict_schema(
        {
            name: core_schema.typed_dict_field(handler.generate_schema(kind))
            for name, kind in get_type_hints(record).items()
        }
    )
    from_fields = core_schema.no_info_after_validator_function(lambda values: record(**values), fields)
    return core_schema.json_or_python_schema(
        json_schema=from_fields,
        python_schema=core_schema.union_schema([core_schema.is_instance_schema(record), from_fields]),
        serialization=core_schema.plain_serializer_function_ser_schema(record._asdict, return_schema=fields),
    )


# GpuCostRow and MemoryBreakdown are immutable named tuples rather than models: every answer holds
# one per catalog GPU or per scenario, and a tuple costs a fraction of a model to build. Inside a
# model they validate and serialize as objects of their fields (the JSON contract), and
# ``model_copy`` works as on the models.


class GpuCostRow(NamedTuple):
    """The same training job priced on another catalog accelerator."""

    gpu: str
    name: str
    dtype: Precision
    peak_flops: float
    gpu_hours: float
    price_per_gpu_hour: float | None
    cost_usd: float | None
    price_source: str | None

    def model_copy(self, *, update: Mapping[str, Any] | None = None) -> GpuCostRow:
        """A copy with the fields in ``update`` replaced."""
        return self._replace(**(update or {}))

    @classmethod
    def __get_pydantic_core_schema__(cls, source: object, handler: GetCoreSchemaHandler) -> CoreSchema:
        return _record_schema(cls, handler)


class TrainCostResult(BaseModel):
    """Compute, time, cost and energy of one training run."""

    model_config = ConfigDict(frozen=True)

    model: str | None = Field(description="Preset key when a model name was given.")
    params: int
    active_params: int
    tokens: float
    tokens_assumed: bool = Field(description="True when tokens were not given (≈20 tokens/param).")
    flops_factor: float
    flops: float
    gpu: str
    gpu_name: str
    dtype: Precision
    peak_flops: float = Field(description="Dense peak FLOP/s of one device at `dtype`.")
    mfu: float
    gpu_hours: float
    price_per_gpu_hour: float | None
    price_source: str | None
    cost_usd: float | None
    num_gpus: int
    num_gpus_reason: Literal["given", "deadline", "default_deadline"]
    wall_clock_days: float
    energy_kwh: float
    co2_tonnes: float
    formula: str
    assumptions: list[str]
    comparison: list[GpuCostRow] = Field(description="Same job on every catalog GPU, cheapest first.")


class MemoryBreakdown(NamedTuple):
    """Bytes per GPU by component."""

    weights: int
    gradients: int
    optimizer: int
    activations: int
    kv_cache: int
    overhead: int

    @property
    def total(self) -> int:
        """Sum of every component."""
        return self.weights + self.gradients + self.optimizer + self.activations + self.kv_cache + self.overhead

    def model_copy(self, *, update: Mapping[str, Any] | None = None) -> MemoryBreakdown:
        """A copy with the fields in ``update`` replaced."""
        return self._replace(**(update or {}))

    @classmethod
    def __get_pydantic_core_schema__(cls, source: object, handler: GetCoreSchemaHandler) -> CoreSchema:
        return _record_schema(cls, handler)


class Plan(BaseModel):
    """The fewest-GPU layout that holds a scenario, when it needs more GPUs than were asked about."""

    model_config = ConfigDict(frozen=True)

    num_gpus: int
    breakdown: MemoryBreakdown = Field(description="Bytes per GPU at the plan's `num_gpus`.")
    per_gpu_bytes: int
    strategy: str


class Scenario(BaseModel):
    """Memory needed for one mode at one precision, and whether it fits.

    ``num_gpus`` is the count asked about (1 unless ``gpus=`` was given) and ``breakdown`` is per
    GPU at that count; when more GPUs are needed, ``plan`` holds the per-GPU figures of the
    fewest-GPU layout (``gpus_needed``) the verdict describes.
    """

    model_config = ConfigDict(frozen=True)

    mode: Mode
    dtype: str = Field(description="Weight precision, e.g. 'bf16', 'int4', 'nf4'.")
    num_gpus: int
    breakdown: MemoryBreakdown = Field(description="Bytes per GPU at `num_gpus`.")
    per_gpu_bytes: int
    total_bytes: int = Field(description="Bytes over all GPUs (what a single device would need).")
    gpus_needed: int = Field(description="Fewest GPUs of this kind that hold it (0 when it cannot fit).")
    verdict: Verdict
    verdict_text: str
    strategy: str = Field(description="How the work is split, e.g. 'ZeRO-3 over 8 GPUs'.")
    cpu_offload_bytes: int = 0
    assumptions: list[str]
    plan: Plan | None = Field(default=None, description="The fewest-GPU layout, when it differs from num_gpus.")


class FitsResult(BaseModel):
    """Memory scenarios for a model on an accelerator."""

    model_config = ConfigDict(frozen=True)

    model: str | None
    params: int
    active_params: int
    gpu: str
    gpu_name: str
    gpu_memory_bytes: int
    usable_gpu_memory_bytes: int
    cpu_memory_bytes: int | None
    scenarios: list[Scenario]
    assumptions: list[str]
