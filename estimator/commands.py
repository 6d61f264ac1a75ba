"""The command grammar shared by the CLI and Slack: text in, a typed reply out."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from pydantic import ValidationError

from estimator.architecture import ModelArch
from estimator.catalog import Catalog
from estimator.defaults import Defaults
from estimator.errors import EstimateError, refusal
from estimator.fit import FitJob, estimate_fits
from estimator.grammar import USAGE, GrammarError, ParsedCommand, parse_command
from estimator.hardware import Accelerator
from estimator.listings import ListingError, filter_gpus, filter_models, parse_query
from estimator.phrasing import EXAMPLES, INTRO, Reading, explain, rephrase
from estimator.quantities import format_count
from estimator.results import FitsResult, TrainCostResult
from estimator.serving import ServeJob, estimate_serving
from estimator.serving_results import ServeCostResult
from estimator.training import TrainingJob, estimate_training
from estimator.vocabulary import (
    COMMANDS,
    ESTIMATE_COMMANDS,
    HELP_WORDS,
    SHARE_WORDS,
    CommandName,
    asks_to_share,
    is_command,
)


class UsageError(ValueError):
    """Bad input: ``message`` says what was wrong, ``usage`` how to write it."""

    def __init__(self, message: str, usage: str, suggestion: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.usage = usage
        self.suggestion = suggestion


@dataclass(frozen=True)
class GpuListing:
    """The hardware catalog, as `gpus` shows it."""

    accelerators: tuple[Accelerator, ...]
    default_gpu: str
    query: str = ""  # the filter as typed, e.g. "amd under $2"; empty for the whole catalog
    page: int = 1
    total: int = 0  # accelerators in the whole catalog


@dataclass(frozen=True)
class ModelListing:
    """The model presets, as `models` shows them."""

    models: tuple[ModelArch, ...]
    query: str = ""  # the filter as typed, e.g. "llama" or "moe"
    page: int = 1
    total: int = 0  # presets in the whole catalog


@dataclass(frozen=True)
class HelpTopic:
    """Help for one command, or for all of them."""

    command: CommandName | None
    text: str


@dataclass(frozen=True)
class Reply:
    """What one command produced, and whether the user asked to share it in the channel."""

    command: CommandName
    result: TrainCostResult | FitsResult | ServeCostResult | GpuListing | ModelListing | HelpTopic
    share: bool = False


def execute(command: str, text: str, *, catalog: Catalog, defaults: Defaults) -> Reply:
    """Run one command (see :data:`estimator.vocabulary.COMMANDS`) on its text."""
    name = command.strip().lower().lstrip("/")
    if not is_command(name):
        close = difflib.get_close_matches(name, COMMANDS, n=1)
        raise UsageError(f"unknown command `{name}`", USAGE["help"], close[0] if close else None)
    words = text.split()
    share = asks_to_share(words)
    if name == "help" or (words and words[0].lower() in HELP_WORDS):
        if name == "help":  # `help fits`: the topic is the first word that is not a help or share word
            topic = next((w.lower().lstrip("/") for w in words if w.lower() not in HELP_WORDS | SHARE_WORDS), None)
        else:  # `fits help`
            topic = name
        return Reply("help", help_topic(topic), share)
    if name in ("gpus", "models"):
        query = parse_query(text)
        try:
            if name == "gpus":
                gpus = filter_gpus(catalog, query)
                default = _default_gpu(catalog, defaults).key
                return Reply(
                    "gpus", GpuListing(gpus, default, query.text, query.page, len(catalog.accelerators)), share
                )
            models = filter_models(catalog, query)
            return Reply("models", ModelListing(models, query.text, query.page, len(catalog.models)), share)
        except ListingError as err:
            raise UsageError(str(err), USAGE[name], err.suggestion) from None
    reading: Reading | None = None
    try:
        reading = rephrase(name, text, catalog)
        parsed = parse_command(name, reading.text, catalog)
        if parsed.help:
            return Reply("help", help_topic(name), share)
        return Reply(name, estimate(name, parsed, catalog=catalog, defaults=defaults), parsed.share)
    except GrammarError as err:
        raise UsageError(_explained(reading, text, err.message), short_usage(name), err.suggestion) from None
    except EstimateError as err:
        raise UsageError(_explained(reading, text, str(err)), short_usage(name)) from None
    except ValidationError as err:  # the grammar's bounds keep values in range: a guard, not a path
        raise UsageError(str(refusal(err, {})), short_usage(name)) from None


def estimate(
    command: str, parsed: ParsedCommand, *, catalog: Catalog, defaults: Defaults
) -> TrainCostResult | FitsResult | ServeCostResult:
    """The answer to a parsed ``traincost``, ``servecost`` or ``fits`` (what ``execute`` does after parsing);
    GrammarError or EstimateError when that combination cannot be answered."""
    if command == "traincost":
        return _traincost(parsed, catalog, defaults)
    if command == "servecost":
        return _servecost(parsed, catalog, defaults)
    return _fits(parsed, catalog, defaults)


def short_usage(command: str) -> str:
    """One short example of ``command`` for error messages (the full usage is in ``help``); for a word
    that is no command, how to ask for help."""
    if not is_command(command):
        return USAGE["help"]
    example = EXAMPLES[command]
    return f"{example}   (all options: help {command})" if command in ESTIMATE_COMMANDS else example


def _explained(reading: Reading | None, typed: str, message: str) -> str:
    return message if reading is None else explain(reading, typed, message)


def help_topic(command: str | None) -> HelpTopic:
    """Help for one command, or an overview when ``command`` is None or unknown."""
    if command == "intro":
        return HelpTopic(None, INTRO)
    if command is not None and is_command(command) and command in HELP:
        return HelpTopic(command, HELP[command])
    return HelpTopic(None, HELP_OVERVIEW)


def _default_gpu(catalog: Catalog, defaults: Defaults) -> Accelerator:
    gpu = catalog.gpu(defaults.gpu)
    if gpu is None:
        raise UsageError(f"the default GPU `{defaults.gpu}` is not in the catalog", USAGE["gpus"])
    return gpu


def _params(parsed: ParsedCommand, command: str) -> tuple[int, int, str | None]:
    if parsed.model is not None:
        if parsed.params is not None:
            raise GrammarError("give either a model or a parameter count, not both")
        model = parsed.model
        return model.param_count(), model.active_param_count(), model.key
    if parsed.params is None:
        raise GrammarError(f"`{command}` needs a parameter count (like 70B) or a model (like llama-3.1-70b)")
    return round(parsed.params), round(parsed.params), None


def _traincost(parsed: ParsedCommand, catalog: Catalog, defaults: Defaults) -> TrainCostResult:
    params, active, model = _params(parsed, "traincost")
    if parsed.active is not None:
        if parsed.model is not None:
            raise GrammarError(f"`active=` is for a bare parameter count; {parsed.model.key} already has its own")
        active = round(parsed.active)
        if active > params:
            raise GrammarError(
                f"active={format_count(active)} exceeds the {format_count(params)} total: active parameters are "
                "those used per token (MoE), at most the total"
            )
    if parsed.num_gpus is not None and parsed.days is not None:
        raise GrammarError("give either gpus= (how many) or days= (a deadline), not both")
    gpu = parsed.gpu or _default_gpu(catalog, defaults)
    preset = parsed.model
    job = TrainingJob(
        params=params,
        active_params=active,
        model=model,
        tokens=parsed.tokens,
        published_tokens=None if preset is None else preset.training_tokens,
        published_tokens_source=None if preset is None else preset.training_tokens_source,
        dtype=parsed.dtype,
        mfu=parsed.mfu,
        price=parsed.price,
        num_gpus=parsed.num_gpus,
        days=parsed.days,
    )
    return estimate_training(job, gpu, defaults, catalog.training_fleet)


def _fits(parsed: ParsedCommand, catalog: Catalog, defaults: Defaults) -> FitsResult:
    params, active, _ = _params(parsed, "fits")
    if parsed.tokens is not None:
        raise GrammarError("`fits` takes no token count")
    gpu = parsed.gpu or _default_gpu(catalog, defaults)
    job = FitJob(
        params=params,
        active_params=active,
        model=parsed.model,
        modes=tuple(parsed.modes) or None,
        dtype=parsed.dtype,
        num_gpus=parsed.num_gpus,
        zero=parsed.zero,
        offload=parsed.offload,
        ctx=parsed.ctx,
        batch=parsed.batch,
        optimizer=parsed.optimizer,
        rank=parsed.rank,
        cpu_mem=parsed.cpu_mem,
        gpu_mem=parsed.gpu_mem,
        recompute=parsed.recompute,
        attention=parsed.attention,
        prefill_chunk=parsed.prefill_chunk,
    )
    return estimate_fits(job, gpu, defaults)


def _servecost(parsed: ParsedCommand, catalog: Catalog, defaults: Defaults) -> ServeCostResult:
    params, active, _ = _params(parsed, "servecost")
    if parsed.tokens is not None:
        raise GrammarError("`servecost` takes in= and out= token counts, not a token total")
    gpu = parsed.gpu or _default_gpu(catalog, defaults)
    job = ServeJob(
        params=params,
        active_params=active,
        model=parsed.model,
        dtype=parsed.dtype,
        kv_dtype=parsed.kv_dtype,
        num_gpus=parsed.num_gpus,
        input_tokens=parsed.input_tokens or 1000,
        output_tokens=parsed.output_tokens or 1000,
        batch=parsed.batch,
        price=parsed.price,
        mbu=parsed.mbu,
        mfu=parsed.mfu,
        util=parsed.util,
    )
    return estimate_serving(job, gpu, defaults, catalog.serving_fleet)


HELP_OVERVIEW = """\
napkin answers three questions: what does training cost, will it fit on our GPUs, what does serving cost?
  traincost <params|model> [tokens] [gpu] [options]
      compute, GPU-hours, wall-clock, cost, energy
  fits <params|model> [gpu] [mode] [options]
      memory per GPU, verdict, GPU count, $ per hour
  servecost <params|model> [gpu] [dtype] [options]
      tokens/s per user and in total, latency, $/M tokens
  gpus [80gb | amd | under $2]    the hardware catalog
  models [llama | moe]            the model presets
Examples:
  traincost 405B 15T a100
  traincost llama-3.1-70b 2T h100 gpus=1024
  fits 20B · fits mixtral-8x7b 4090 qlora
  servecost llama-3.3-70b 2xh100 fp8 in=1000 out=1000
Add `share` to post the answer in the channel;
`help traincost`, `help fits`, `help servecost` list
every option."""

HELP: dict[CommandName, str] = {
    "traincost": f"""\
Usage: {USAGE["traincost"]}
  <params|model>  405B, 7e9, 350M, or a preset such as
                  llama-3.1-405b (MoE: active params)
  active=37B      active params of a custom MoE
                  (traincost 671B 14.8T active=37B)
  [tokens]        15T, 2e12; omitted: the preset's
                  published count, else 20 per parameter
  [gpu]           a100, h100, mi300x, tpu-v5p… (`gpus`);
                  `8xh100` also sets gpus=8
  gpus=N          cluster size → wall-clock
  days=D          deadline → GPUs needed (default 30)
  mfu=0.4|40%     model FLOPs utilisation of the peak
  price=2.5       USD per GPU-hour (default: catalog)
  dtype=bf16      bf16 (default), fp16, fp8 where the chip
                  has it (fp8: 1.3× the bf16 throughput)
Formula: C = 6·N·D FLOPs;
  GPU-hours = C / (dense peak × MFU) / 3600;
  cost = GPU-hours × price.""",
    "fits": f"""\
Usage: {USAGE["fits"]}
  <params|model>  20B or a preset (presets add the KV
                  cache and activations of their shape)
  [gpu]           h100, a100-40gb, 4090, mi300x… (`gpus`);
                  or gpu_mem=24GB
  [mode]          inference, train, lora, qlora
                  (default: all of them)
  dtype=          inference weights: fp32, bf16, fp8,
                  int8, int4
  gpus=N zero=0-3 offload=none|optimizer|full
  ctx=4096 batch=1 optimizer=adamw rank=16 cpu_mem=512GB
  prefill_chunk=8192  serving tokens per step (vLLM's
                  max_num_batched_tokens)
  recompute=none|selective|full  activation recomputation
                  (default none; full where it must)
  attention=eager training without FlashAttention: keeps
                  the s² scores (Korthikanti's 5·a·s/h)
Lengths in tokens read k as 1024: ctx=8k is 8192,
  128k is 131072 (ctx=8000 is 8000).
Memory: inference = weights + KV cache for every
  sequence + a chunked-prefill working set + overhead;
  training = weights + gradients + optimizer states
  (16 bytes/param, mixed-precision AdamW) + activations
  + overhead.""",
    "servecost": f"""\
Usage: {USAGE["servecost"]}
  <params|model>  70B or a preset (presets give layers,
                  KV heads and experts)
  [gpu]           h100, a100, h200… (`gpus`); `2xh100`
                  serves on 2 GPUs (tensor parallel)
  [dtype]         weights: bf16 (default), fp8, int8,
                  int4, fp4
  kv=fp8          KV cache precision
  in=1000         prompt tokens per request (in=8k is
                  8192: k is 1024 for lengths)
  out=1000        output tokens per request
  batch=N         answer at N concurrent sequences
  mbu=0.7 mfu=0.4 bandwidth and compute efficiency
                  (1.0 = the optimistic roofline)
  util=0.9        engine memory utilisation
  price=2.5       USD per GPU-hour
Decode step = max((weights + B·KV)/(bandwidth·MBU),
  2·N_active·B/(peak·MFU)) + all-reduces;
tokens/s = B / step;
$ per M output tokens = GPUs × price
  / (tokens/s × 3600) × 10⁶.""",
    "gpus": f"""\
Usage: {USAGE["gpus"]}
Dense peak TFLOPS, memory and price per GPU-hour, with
sources. Filters (every word must hold):
  80gb        the 80 GB class;  80gb+  at least 80 GB
  amd, nvidia, google…  a vendor
  mi300x, h100…         part of a name
  under $2    priced at most $2 per GPU-hour
  page=2      the next page in Slack (15 rows a page)""",
    "models": f"""\
Usage: {USAGE["models"]}
Presets carry their published architecture and parameter
counts. Filters (every word must hold):
  llama, qwen…  part of a name
  moe, dense    mixture-of-experts or dense models
  page=2        the next page in Slack (15 rows a page)""",
}
