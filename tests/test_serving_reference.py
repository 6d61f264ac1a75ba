"""servecost against published serving measurements: each row gives its conditions, the measured
value, the source and the tolerance (loose where the engine or workload differs from napkin's)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config.catalogs import cached_catalog
from estimator.defaults import Defaults
from estimator.precision import Precision
from estimator.serving import ServeJob, _model, estimate_serving
from estimator.serving_results import ServeCostResult

CATALOG = cached_catalog(None)
DEFAULTS = Defaults()
GPT_FAST = "gpt-fast README (pytorch-labs/gpt-fast), 8×A100-80GB at 330 W, batch 1, 5-token prompt"
GPT_FAST_MOE = "gpt-fast mixtral-moe/README.md, 8×A100-80GB at 330 W, batch 1"
NIM = "NVIDIA NIM LLM benchmarking 1.0.0 performance page, Llama-3.3-70B-Instruct NIM 1.8.0, 2×H100 80GB fp8 TP2"
TRT = "TensorRT-LLM perf-overview.md (v1.0), trtllm-bench throughput under maximum load, FP8 checkpoints"


def serve(
    model: str, gpu: str, gpus: int | None = None, dtype: Precision | None = None, **kw: object
) -> ServeCostResult:
    arch = CATALOG.model(model)
    accelerator = CATALOG.gpu(gpu)
    assert arch is not None
    assert accelerator is not None
    job = ServeJob(
        params=arch.param_count(), active_params=arch.active_param_count(), model=arch, dtype=dtype, num_gpus=gpus, **kw
    )
    return estimate_serving(job, accelerator, DEFAULTS)


def single_tps(r: ServeCostResult) -> float:
    assert r.single_stream is not None
    return r.single_stream.tokens_per_s


def max_tps(r: ServeCostResult) -> float:
    assert r.max_load is not None
    return r.max_load.output_tokens_per_s


# (model, gpu, gpus, dtype, measured tok/s per user, tolerance, source)
SINGLE_STREAM = [
    ("llama-2-7b", "a100-80gb-sxm", 1, None, 104.9, 0.25, GPT_FAST),
    ("llama-2-7b", "a100-80gb-sxm", 2, None, 168.84, 0.25, GPT_FAST),
    ("llama-2-7b", "a100-80gb-sxm", 4, None, 254.02, 0.25, GPT_FAST),
    ("llama-2-7b", "a100-80gb-sxm", 8, None, 328.43, 0.25, GPT_FAST),
    ("llama-2-70b", "a100-80gb-sxm", 2, None, 21.32, 0.25, GPT_FAST),
    ("llama-2-70b", "a100-80gb-sxm", 4, None, 38.01, 0.25, GPT_FAST),
    ("llama-2-70b", "a100-80gb-sxm", 8, None, 62.50, 0.25, GPT_FAST),
    # int8 weight-only kernels read 1069 GB/s (52%) in gpt-fast; napkin applies one MBU to every format
    ("llama-2-7b", "a100-80gb-sxm", 1, Precision.INT8, 155.58, 0.30, GPT_FAST),
    ("mixtral-8x7b", "a100-80gb-sxm", 2, None, 96.67, 0.25, GPT_FAST_MOE),
    ("mixtral-8x7b", "a100-80gb-sxm", 4, None, 155.35, 0.25, GPT_FAST_MOE),
    ("mixtral-8x7b", "a100-80gb-sxm", 8, None, 227.82, 0.30, GPT_FAST_MOE),
    # H100: NIM concurrency 1, 500 in / 2000 out: ITL 18.91 ms
    ("llama-3.3-70b", "h100-sxm", 2, Precision.FP8, 1000 / 18.91, 0.25, NIM),
]


@pytest.mark.parametrize(("model", "gpu", "gpus", "dtype", "measured", "tolerance", "source"), SINGLE_STREAM)
def test_single_stream_decode_matches_measurements(  # noqa: PLR0917 - one parameter per table column
    model: str, gpu: str, gpus: int, dtype: Precision | None, measured: float, tolerance: float, source: str
) -> None:
    r = serve(model, gpu, gpus, dtype, input_tokens=500, output_tokens=2000)
    assert single_tps(r) == pytest.approx(measured, rel=tolerance), source


@pytest.mark.parametrize(
    ("input_tokens", "output_tokens", "measured_ms"),
    [(5000, 500, 406.77), (500, 2000, 47.77)],  # NIM concurrency 1
)
def test_time_to_first_token_matches_nim(input_tokens: int, output_tokens: int, measured_ms: float) -> None:
    r = serve("llama-3.3-70b", "h100-sxm", 2, Precision.FP8, input_tokens=input_tokens, output_tokens=output_tokens)
    assert r.single_stream is not None
    assert r.single_stream.ttft_ms == pytest.approx(measured_ms, rel=0.25), NIM


# (model, gpu, gpus, measured total output tok/s at 1000 in / 1000 out, tolerance): TensorRT-LLM runs
# up to 2048 sequences with FP8 KV and 0.9-0.95 of free memory, napkin vLLM's 256 sequences: ±45%.
MAX_LOAD = [
    ("llama-3.1-8b", "h100-sxm", 1, 15_220, 0.45),
    ("llama-3.3-70b", "h100-sxm", 2, 4_205, 0.45),
    ("llama-3.3-70b", "h200", 1, 2_909, 0.45),
    ("llama-3.1-405b", "h100-sxm", 8, 2_919, 0.45),
    ("qwen3-235b-a22b", "h100-sxm", 8, 14_898, 0.45),  # MoE
    ("qwen3-235b-a22b", "h200", 8, 23_789, 0.45),  # MoE
]


@pytest.mark.parametrize(("model", "gpu", "gpus", "measured", "tolerance"), MAX_LOAD)
def test_max_load_throughput_matches_tensorrt_llm(
    model: str, gpu: str, gpus: int, measured: float, tolerance: float
) -> None:
    r = serve(model, gpu, gpus, Precision.FP8, kv_dtype=Precision.FP8)
    assert max_tps(r) == pytest.approx(measured, rel=tolerance), TRT


def test_nim_load_point_at_batch() -> None:
    """NIM: 5000 in / 500 out at concurrency 100 sustains 917 tok/s with 92.9 ms ITL (the KV cache is full)."""
    r = serve("llama-3.3-70b", "h100-sxm", 2, Precision.FP8, input_tokens=5000, output_tokens=500)
    assert r.max_load is not None
    assert r.max_load.output_tokens_per_s == pytest.approx(917, rel=0.35), NIM


def test_kv_capacity_matches_vllm_log() -> None:
    """vLLM PR #12569 log: Llama-3.1-70B w8a8 on one 80 GB GPU at gpu_memory_utilization 0.98 and max-model-len
    2048 loads 67.72 GiB of weights and gets 1381 blocks of 16 tokens = 22,096 tokens of bf16 KV cache."""
    r = serve("llama-3.1-70b", "h100-sxm", 1, Precision.INT8, input_tokens=1024, output_tokens=1024, util=0.98)
    assert r.kv_capacity_tokens == pytest.approx(22_096, rel=0.35)


def test_h200_over_h100_ratio() -> None:
    """TensorRT-LLM Llama 3.1 8B FP8 TP1 at 1000/1000: H200 17,744 vs H100 15,220 tok/s = 1.17×."""
    ratio = max_tps(serve("llama-3.1-8b", "h200", 1, Precision.FP8, kv_dtype=Precision.FP8)) / max_tps(
        serve("llama-3.1-8b", "h100-sxm", 1, Precision.FP8, kv_dtype=Precision.FP8)
    )
    assert ratio == pytest.approx(17_744 / 15_220, rel=0.25), TRT
    assert ratio >= 1.0


def test_efficiency_one_reproduces_the_roofline_peers() -> None:
    """At mbu=mfu=1 a single stream reads the weights at peak bandwidth: LLM-Viewer's and GenZ's roofline."""
    r = serve("llama-3.1-8b", "h100-sxm", 1, None, mbu=1.0, mfu=1.0, input_tokens=1, output_tokens=1)
    arch = CATALOG.model("llama-3.1-8b")
    assert arch is not None
    weights = 2 * arch.param_count()
    kv = arch.kv_cache_bytes(1, 1, 2.0)
    assert r.single_stream is not None
    assert r.single_stream.itl_ms == pytest.approx((weights + kv) / 3.35e12 * 1e3, rel=1e-6)
    default = serve("llama-3.1-8b", "h100-sxm", 1, None, input_tokens=1, output_tokens=1)
    # the peers' "1.4-1.9× too fast" is the inverse of the default efficiency
    assert single_tps(r) / single_tps(default) == pytest.approx(1 / 0.70, rel=0.01)


def test_littles_law() -> None:
    """Concurrent sequences = request throughput × time each request spends (TTFT + out × ITL)."""
    r = serve("llama-3.3-70b", "h100-sxm", 2, Precision.FP8)
    load = r.max_load
    assert load is not None
    requests_per_s = load.output_tokens_per_s / r.output_tokens
    seconds_each = (load.ttft_ms + r.output_tokens * load.itl_ms) / 1e3
    assert requests_per_s * seconds_each == pytest.approx(load.concurrent_sequences, rel=0.01)


def test_does_not_fit_gives_fits_gpu_count() -> None:
    r = serve("llama-3.1-405b", "h100-sxm", 1)
    assert not r.fits
    assert r.single_stream is None
    assert r.max_load is None
    assert r.gpus_needed > 8
    assert "Does not fit" in r.verdict_text


def test_fp8_compute_only_where_the_chip_has_it() -> None:
    assert serve("llama-3.1-8b", "a100-80gb-sxm", 1, Precision.FP8).compute_dtype == "bf16"
    assert serve("llama-3.1-8b", "h100-sxm", 1, Precision.FP8).compute_dtype == "fp8"


def test_moe_small_batch_reads_many_experts() -> None:
    """Qwen3-30B-A3B routes 8 of 128 experts per token: 8 sequences already touch ≈52 experts per layer."""
    one = serve("qwen3-30b-a3b", "h100-sxm", 1, batch=1)
    eight = serve("qwen3-30b-a3b", "h100-sxm", 1, batch=8)
    assert one.at_batch is not None
    assert eight.at_batch is not None
    assert eight.at_batch.itl_ms > 1.5 * one.at_batch.itl_ms


def test_comparison_is_cheapest_first() -> None:
    arch = CATALOG.model("llama-3.1-8b")
    gpu = CATALOG.gpu("h100")
    assert arch is not None
    assert gpu is not None
    job = ServeJob(params=arch.param_count(), active_params=arch.active_param_count(), model=arch)
    r = estimate_serving(job, gpu, DEFAULTS, CATALOG.serving_fleet)
    costs = [row.cost_per_million_output_tokens for row in r.comparison if row.cost_per_million_output_tokens]
    assert costs == sorted(costs)
    assert len(costs) > 5


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["llama-3.1-8b", "llama-3.3-70b", "mixtral-8x7b", "qwen3-30b-a3b"]), st.integers(0, 2))
def test_more_gpus_never_lower_max_load_throughput(model: str, k: int) -> None:
    fewer, more = serve(model, "h100-sxm", 2**k), serve(model, "h100-sxm", 2 ** (k + 1))
    if fewer.fits:
        assert max_tps(more) >= max_tps(fewer) * 0.999


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 255), st.sampled_from(["llama-3.1-8b", "mixtral-8x7b"]))
def test_batch_monotonicity(batch: int, model: str) -> None:
    """A bigger batch never lowers total tokens/s nor speeds up each user."""
    small, big = serve(model, "h100-sxm", 2, batch=batch), serve(model, "h100-sxm", 2, batch=batch + 1)
    assert small.at_batch is not None
    assert big.at_batch is not None
    assert big.at_batch.output_tokens_per_s >= small.at_batch.output_tokens_per_s * 0.999
    assert big.at_batch.itl_ms >= small.at_batch.itl_ms


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 20_000), st.integers(1, 20_000))
def test_littles_law_holds_for_any_request_shape(input_tokens: int, output_tokens: int) -> None:
    r = serve("llama-3.1-8b", "h100-sxm", 1, input_tokens=input_tokens, output_tokens=output_tokens)
    if r.max_load is not None:
        load = r.max_load
        seconds_each = (load.ttft_ms + output_tokens * load.itl_ms) / 1e3
        in_flight = load.output_tokens_per_s / output_tokens * seconds_each
        assert in_flight >= load.concurrent_sequences * 0.999
        assert in_flight <= load.concurrent_sequences * (1 + load.ttft_ms / (output_tokens * load.itl_ms)) * 1.001


# Jobs whose comparison is checked against servecost's own answer at every width: dense and GQA, MoE (few and
# many experts), sliding window, MLA, tiny and huge, a bare parameter count, every weight and KV format, long
# prompts, short answers, a low engine utilisation, full efficiency and a given price.
FULL_SEARCH_JOBS = [
    ("llama-3.3-70b", {"dtype": Precision.FP8}),
    ("mixtral-8x7b", {}),
    ("llama-3.1-8b", {"dtype": Precision.INT4}),
    ("llama-3.1-405b", {"dtype": Precision.FP8, "kv_dtype": Precision.FP8}),
    ("deepseek-v3", {"dtype": Precision.FP4}),
    ("qwen3-30b-a3b", {"input_tokens": 8000, "output_tokens": 200}),
    ("gemma-2-27b", {"util": 0.5, "price": 2.5}),
    ("qwen2.5-0.5b", {"input_tokens": 1, "output_tokens": 1, "mbu": 1.0, "mfu": 1.0}),
    ("gpt-oss-120b", {"dtype": Precision.INT8}),
    (None, {"params": 70_000_000_000, "active_params": 70_000_000_000, "dtype": Precision.FP32}),
]


@pytest.mark.parametrize(("model", "options"), FULL_SEARCH_JOBS)
def test_comparison_rows_are_the_cheapest_width_of_a_full_search(model: str | None, options: dict[str, object]) -> None:
    """Each comparison row (found by a search that stops once the KV cache holds the engine's cap) equals the
    cheapest of servecost's own answers at every tensor-parallel width within a node that holds the model (the
    device's own node: a TPU v5p host holds 4 chips, a Trainium instance 16), figure for figure; and every catalog
    GPU that holds it at some width has its row."""
    arch = None if model is None else CATALOG.model(model)
    sizes = {} if arch is None else {"params": arch.param_count(), "active_params": arch.active_param_count()}
    job = ServeJob.model_validate({"model": arch, **sizes, **options})
    gpus = [gpu for gpu in CATALOG.accelerators.values() if gpu.dense_tflops]
    rows = {row.gpu: row for row in estimate_serving(job, gpus[0], DEFAULTS, CATALOG.serving_fleet).comparison}
    assert rows
    for gpu in gpus:
        # tensor-parallel widths: within the node, dividing the heads (72 of a bare 70B: 16 GPUs would be TP8×PP2)
        node, heads = gpu.per_node(DEFAULTS.node_size), _model(job, gpu, DEFAULTS).shape.heads
        widths = [width for width in (1, 2, 4, 8, 16) if width <= node and heads % width == 0]
        answers = [estimate_serving(job.model_copy(update={"num_gpus": width}), gpu, DEFAULTS) for width in widths]
        held = [(a.num_gpus / a.max_load.output_tokens_per_s, a) for a in answers if a.fits and a.max_load]
        if not held:
            assert gpu.key not in rows
            continue
        row, best = rows[gpu.key], min(held, key=lambda pair: pair[0])[1]
        assert best.max_load is not None
        assert best.single_stream is not None
        assert (row.num_gpus, row.compute_dtype, row.price_per_gpu_hour) == (
            best.num_gpus,
            best.compute_dtype,
            best.price_per_gpu_hour,
        )
        assert row.output_tokens_per_s == best.max_load.output_tokens_per_s
        assert row.cost_per_million_output_tokens == best.max_load.cost_per_million_output_tokens
        assert row.tokens_per_s_per_user == best.single_stream.tokens_per_s
