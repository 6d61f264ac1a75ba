"""Load the accelerator and model catalogs from TOML: the built-in data plus a user's overrides.

An override is a TOML file, or a directory whose ``*.toml`` files apply in name order, holding
``[[accelerator]]`` and/or ``[[model]]`` tables. An entry whose ``key`` names an existing entry
(by key or alias, any spelling) is merged into it field by field; a nested table such as
``price`` or ``dense_tflops`` replaces the old one whole. So ``key = "h100-sxm"`` plus a
``[accelerator.price]`` table only reprices the H100. Any other entry is new and must be complete.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import stat
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import ValidationError

from estimator.architecture import ModelArch
from estimator.catalog import Catalog, normalize_name
from estimator.hardware import Accelerator

DATA_DIR = Path(__file__).parent / "data"
HARDWARE_FILE = DATA_DIR / "hardware.toml"
MODELS_FILE = DATA_DIR / "models.toml"
BUILTIN_FILES: tuple[Path, ...] = (HARDWARE_FILE, MODELS_FILE)

_Record = TypeVar("_Record", Accelerator, ModelArch)


class CatalogError(ValueError):
    """A catalog file napkin cannot use; the one-line message names the file, entry and field."""


def load_catalog(override: str | Path | None = None) -> Catalog:
    """The built-in catalog with ``override`` (a TOML file or a directory of them) applied."""
    return load_catalog_files([*BUILTIN_FILES, *override_files(override)])


@functools.lru_cache(maxsize=8)
def cached_catalog(override: str | Path | None = None) -> Catalog:
    """``load_catalog(override)``, loaded once per process for each override path."""
    return load_catalog(override)


def override_files(override: str | Path | None) -> list[Path]:
    """The files an override names: the file itself, or a directory's ``*.toml`` files sorted."""
    if override is None or str(override) == "":
        return []
    path = Path(override).expanduser()
    if path.is_dir():
        return sorted(p for p in path.glob("*.toml") if p.is_file())
    return [path]


def load_catalog_files(files: Iterable[str | Path]) -> Catalog:
    """A catalog built from exactly ``files``, applied in order (later files merge into earlier)."""
    accelerators = _Entries[Accelerator]("accelerator", Accelerator)
    models = _Entries[ModelArch]("model", ModelArch)
    tables: dict[str, _Entries[Accelerator] | _Entries[ModelArch]] = {
        "accelerator": accelerators,
        "model": models,
    }
    sources: list[str] = []
    for file in files:
        path = Path(file)
        document = _read(path)
        for name, value in document.items():
            entries = tables.get(name)
            if entries is None:
                raise CatalogError(
                    f"catalog {path}: unknown top-level {name!r}: expected [[accelerator]] or [[model]] tables"
                )
            if not isinstance(value, list):
                raise CatalogError(f"catalog {path}: {name}: expected [[{name}]] tables")
            entries.apply_file(path, value)
        sources.append(str(path))
    try:
        return Catalog(accelerators=accelerators.records, models=models.records, sources=tuple(sources))
    except ValueError as exc:  # name clashes are caught per entry above; this is a backstop
        raise CatalogError(f"catalog {', '.join(sources)}: {exc}") from exc


class _Entries(Generic[_Record]):
    """Entries of one kind by key: the merged TOML fields and the validated record of each."""

    def __init__(self, kind: str, model: type[_Record]) -> None:
        self.kind = kind
        self.model: type[_Record] = model
        self.fields: dict[str, dict[str, Any]] = {}
        self.records: dict[str, _Record] = {}
        self.names: dict[str, str] = {}  # normalized key or alias -> key
        self.owned: dict[str, set[str]] = {}  # key -> the normalized names it holds

    def apply_file(self, path: Path, tables: list[Any]) -> None:
        touched: set[str] = set()
        for number, table in enumerate(tables, start=1):
            touched.add(self._apply(path, number, table, touched))

    def _apply(self, path: Path, number: int, table: Any, touched: set[str]) -> str:
        key = table.get("key") if isinstance(table, dict) else None
        label = f"{self.kind} {key!r}" if isinstance(key, str) else f"{self.kind} #{number}"
        if not isinstance(table, dict):
            raise CatalogError(f"catalog {path}: {label}: expected a table")
        target = self.names.get(normalize_name(key)) if isinstance(key, str) else None
        if target is None:
            fields = dict(table)
        elif target in touched:
            raise CatalogError(f"catalog {path}: {label}: key: {target!r} is defined twice in this file")
        else:
            fields = {**self.fields[target], **table, "key": target}
        try:
            record = self.model.model_validate(fields)
        except ValidationError as exc:
            raise CatalogError(f"catalog {path}: {label}: {_describe(exc)}") from None
        self._claim_names(path, label, record)
        self.fields[record.key] = fields
        self.records[record.key] = record
        return record.key

    def _claim_names(self, path: Path, label: str, record: _Record) -> None:
        names = {normalize_name(name): name for name in (*record.aliases, record.key)}
        for norm, name in names.items():
            owner = self.names.get(norm)
            if owner is not None and owner != record.key:
                field = "key" if name == record.key else "aliases"
                raise CatalogError(
                    f"catalog {path}: {label}: {field}: {name!r} is already a name of {self.kind} {owner!r}"
                )
        for norm in self.owned.get(record.key, set()) - names.keys():  # names a merge dropped
            del self.names[norm]
        self.owned[record.key] = set(names)
        self.names.update(dict.fromkeys(names, record.key))


MAX_CATALOG_BYTES = 64 * 1024 * 1024
"""Largest catalog file read (about 150,000 entries); bigger is refused rather than read without end."""


def _read(path: Path) -> dict[str, Any]:
    try:
        document = tomllib.loads(read_regular_file(path, MAX_CATALOG_BYTES).decode("utf-8"))
    except _NotRegular as exc:
        raise CatalogError(f"catalog {path}: {exc}") from None
    except FileNotFoundError:
        raise CatalogError(f"catalog {path}: file not found") from None
    except OSError as exc:
        raise CatalogError(f"catalog {path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise CatalogError(f"catalog {path}: not UTF-8 text (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"catalog {path}: TOML syntax error: {exc}") from None
    plain: dict[str, Any] = _dates_to_text(document)
    return plain


class _NotRegular(Exception):
    pass


def read_regular_file(path: Path, limit: int) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``limit`` bytes.

    Opened non-blocking and checked with fstat before any read, so a FIFO, ``/dev/zero`` or a
    terminal named as a catalog is refused at once instead of hanging start-up.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise _NotRegular("not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise _NotRegular(f"larger than {limit // (1024 * 1024)} MiB")
    return data


def _dates_to_text(value: Any) -> Any:
    """Unquoted TOML dates (``as_of = 2026-01-21``) become the ISO text the records expect."""
    if isinstance(value, dict):
        return {k: _dates_to_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates_to_text(v) for v in value]
    if isinstance(value, dt.date | dt.time):  # dt.datetime is a dt.date
        return value.isoformat()
    return value


def _describe(error: ValidationError) -> str:
    """Every problem pydantic found, one line: ``price.usd_per_hour: Input should be greater than 0``."""
    problems = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"])
        message = item["msg"]
        value = item.get("input")
        if item["type"] != "missing" and isinstance(value, str | int | float | bool):
            message = f"{message} (got {value!r})"
        problems.append(f"{field}: {message}" if field else message)
    return "; ".join(problems).replace("\n", " ")
