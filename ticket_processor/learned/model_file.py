"""The model file: a zip of ``.npy`` arrays and JSON, read without ever unpickling.

Members: ``header.json`` (format, version, the taxonomy's category names, the fields with their
classes, class counts and cross-validated scores, training date, the arrays' shapes),
``words.json`` and ``chars.json`` (the vocabularies) and one ``.npy`` per array, read with
``allow_pickle=False``: an object array, which is how a pickle hides in a ``.npy``, is refused.
Unknown members, oversized members, wrong shapes and non-finite numbers are refused too.

A model file is data someone else may have made, so reading it is bounded before anything is
inflated: the file (opened without blocking, regular files only) at most ``MAX_FILE_BYTES``; from
the zip's directory, each member at most its cap and all of them together at most
``MAX_TOTAL_BYTES``; each member then read with that cap (the directory may lie). JSON nested
too deep to parse (``RecursionError``) is a damaged file like any other.

``read_model`` raises ``ModelFileError`` (a ``ConfigError``: exit 2 where a command asked for
that file); ``load_model`` is the run's path: ``(model, None)`` or ``(None, reason)``, so the
engine chain goes on without a model and the reason is logged once.
"""

from __future__ import annotations

import io
import json
import os
import stat
import tempfile
import zipfile
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt

from ..errors import ModelFileError
from ..triage.confidence import Calibration
from .features import Bag, Featuriser
from .labels import MODEL_FIELDS
from .model import FORMAT, FORMAT_VERSION, FieldModel, LearnedModel

HEADER = "header.json"
VOCABULARIES = ("words.json", "chars.json")
# Far above a real model (the bundled one: 1.9 MB, 4.4 MB inflated, its largest array 2 MB);
# they bound what a hostile zip can make us inflate (a 2 MB zip once made a run take 3.3 GB).
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_MEMBER_BYTES = 64 * 1024 * 1024  # one array
MAX_JSON_BYTES = 16 * 1024 * 1024  # the header and each vocabulary
MAX_TOTAL_BYTES = 160 * 1024 * 1024
REFUSED_FIX = "delete it, or train a new one with 'ticketbot learn'"


def _array_names(fields: list[str]) -> list[str]:
    names = ["idf_words", "idf_chars"]
    for name in fields:
        names += [f"coef_{name}", f"intercept_{name}"]
    return names


def _npy(array: npt.NDArray[Any]) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def header_of(model: LearnedModel) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "taxonomy": list(model.taxonomy),
        "trained_at": model.trained_at,
        "rows": model.rows,
        "sources": model.sources,
        "embedding": {"encoder": model.encoder, "weight": model.embedding_weight}
        if model.uses_embeddings
        else None,
        "fields": {
            name: {
                "classes": list(field.classes),
                "counts": field.counts,
                "cv_macro_f1": field.cv_macro_f1,
                "cv_per_source": field.cv_per_source,
                **(
                    {"calibration": field.calibration.as_json(), "apply_at": field.apply_at}
                    if field.calibration is not None
                    else {}
                ),
                **({"calibrated_on": field.calibrated_on} if field.calibrated_on else {}),
                **({"ece": field.ece} if field.ece else {}),
            }
            for name, field in model.fields.items()
        },
    }


def save_model(model: LearnedModel, path: Path) -> None:
    """Write the model atomically (a temp file beside it, then ``os.replace``)."""
    arrays: dict[str, npt.NDArray[Any]] = {
        "idf_words": model.featuriser.words.idf,
        "idf_chars": model.featuriser.chars.idf,
    }
    for name, field in model.fields.items():
        arrays[f"coef_{name}"] = field.coef.astype(np.float32)
        arrays[f"intercept_{name}"] = field.intercept.astype(np.float32)
    header = header_of(model)
    header["arrays"] = {k: list(v.shape) for k, v in arrays.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(HEADER, json.dumps(header, indent=1, sort_keys=True))
            zf.writestr("words.json", json.dumps(model.featuriser.words.term_list()))
            zf.writestr("chars.json", json.dumps(model.featuriser.chars.term_list()))
            for name, array in arrays.items():
                zf.writestr(f"{name}.npy", _npy(array))
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _member(zf: zipfile.ZipFile, name: str, where: str) -> bytes:
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise ModelFileError(f"{where}: damaged model file: {name} is missing") from None
    limit = MAX_JSON_BYTES if name.endswith(".json") else MAX_MEMBER_BYTES
    too_large = ModelFileError(
        f"{where}: refused: {name} inflates to more than {limit // (1024 * 1024)} MB: {REFUSED_FIX}"
    )
    if info.file_size > limit:
        raise too_large
    with zf.open(info) as member:
        data = member.read(limit + 1)  # the directory's sizes may lie: read no further
    if len(data) > limit:
        raise too_large
    return data


def _check_sizes(zf: zipfile.ZipFile, where: str) -> None:
    """Refuse from the zip's directory, before inflating anything."""
    total = sum(info.file_size for info in zf.infolist())
    if total > MAX_TOTAL_BYTES:
        raise ModelFileError(
            f"{where}: refused: its members inflate to {total // (1024 * 1024)} MB, more than "
            f"a model's {MAX_TOTAL_BYTES // (1024 * 1024)} MB: {REFUSED_FIX}"
        )


def _array(zf: zipfile.ZipFile, name: str, shape: list[int], where: str) -> npt.NDArray[Any]:
    try:
        array: npt.NDArray[Any] = np.load(
            io.BytesIO(_member(zf, f"{name}.npy", where)), allow_pickle=False
        )
    except ValueError as exc:  # object arrays (pickles) land here, never unpickled
        raise ModelFileError(f"{where}: refused {name}.npy: {exc}") from None
    if array.dtype != np.float32 or list(array.shape) != shape:
        raise ModelFileError(f"{where}: damaged model file: {name} is not float32 {shape}")
    if not np.isfinite(array).all():
        raise ModelFileError(f"{where}: damaged model file: {name} has non-finite numbers")
    return array


def _json(zf: zipfile.ZipFile, name: str, where: str) -> Any:
    try:
        return json.loads(_member(zf, name, where))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ModelFileError(f"{where}: damaged model file: {name} is not JSON") from None
    except RecursionError:
        raise ModelFileError(
            f"{where}: damaged model file: {name} is nested too deeply to read: {REFUSED_FIX}"
        ) from None


def _check_header(header: Any, where: str, taxonomy: tuple[str, ...]) -> None:
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ModelFileError(f"{where}: not a ticketbot learned model")
    if header.get("version") != FORMAT_VERSION:
        raise ModelFileError(
            f"{where}: model format version {header.get('version')!r}; this ticketbot reads "
            f"version {FORMAT_VERSION}: run 'ticketbot learn' again"
        )
    trained_for = tuple(header.get("taxonomy") or ())
    if trained_for != taxonomy:
        raise ModelFileError(
            f"{where}: the model was trained for the categories {', '.join(trained_for)} but "
            f"the taxonomy has {', '.join(taxonomy)}: run 'ticketbot learn' with this taxonomy"
        )


def _build(zf: zipfile.ZipFile, header: dict[str, Any], where: str) -> LearnedModel:
    fields_meta = header.get("fields")
    shapes = header.get("arrays")
    if not isinstance(fields_meta, dict) or not isinstance(shapes, dict):
        raise ModelFileError(f"{where}: damaged model file: header lacks fields or arrays")
    names = [n for n in fields_meta if n in MODEL_FIELDS]
    expected = {f"{n}.npy" for n in _array_names(names)} | {HEADER, *VOCABULARIES}
    unknown = set(zf.namelist()) - expected
    if unknown:
        raise ModelFileError(f"{where}: refused: unexpected members {', '.join(sorted(unknown))}")
    words, chars = (_json(zf, name, where) for name in VOCABULARIES)
    if not all(isinstance(v, list) and all(isinstance(t, str) for t in v) for v in (words, chars)):
        raise ModelFileError(f"{where}: damaged model file: vocabularies are not string lists")
    embedding = header.get("embedding") or {}
    weight = float(embedding.get("weight", 0.0)) if isinstance(embedding, dict) else 0.0
    width = len(words) + len(chars) + (512 if weight > 0 else 0)
    featuriser = Featuriser(
        Bag.from_terms(words, _array(zf, "idf_words", [len(words)], where)),
        Bag.from_terms(chars, _array(zf, "idf_chars", [len(chars)], where)),
    )
    fields: dict[str, FieldModel] = {}
    for name in names:
        meta = fields_meta[name]
        classes = tuple(str(c) for c in meta.get("classes", ()))
        if len(classes) < 2:
            raise ModelFileError(f"{where}: damaged model file: {name} has fewer than 2 classes")
        fields[name] = FieldModel(
            classes=classes,
            coef=_array(zf, f"coef_{name}", [len(classes), width], where),
            intercept=_array(zf, f"intercept_{name}", [len(classes)], where),
            counts={str(k): int(v) for k, v in dict(meta.get("counts", {})).items()},
            cv_macro_f1=meta.get("cv_macro_f1"),
            cv_per_source=dict(meta.get("cv_per_source") or {}),
            # Files written before calibration have none: their fields apply as before.
            calibration=Calibration.from_json(meta.get("calibration")),
            apply_at=_unit(meta.get("apply_at")),
            ece={str(k): float(v) for k, v in dict(meta.get("ece") or {}).items()},
            calibrated_on=str(meta.get("calibrated_on") or ""),
        )
    return LearnedModel(
        taxonomy=tuple(header["taxonomy"]),
        featuriser=featuriser,
        fields=fields,
        embedding_weight=weight,
        trained_at=str(header.get("trained_at", "")),
        rows=int(header.get("rows", 0)),
        sources=dict(header.get("sources") or {}),
        encoder=embedding.get("encoder") if isinstance(embedding, dict) else None,
    )


def _unit(value: object) -> float | None:
    """A threshold from the header: a number in [0, 1], else None (no threshold)."""
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1:
        return float(value)
    return None


def read_model(path: Path, taxonomy: tuple[str, ...]) -> LearnedModel:
    """The model at ``path`` for a taxonomy with these category names, or ``ModelFileError``."""
    where = str(path)
    try:
        with _open_model(path, where) as raw, zipfile.ZipFile(raw) as zf:
            _check_sizes(zf, where)
            header = _json(zf, HEADER, where)
            _check_header(header, where, taxonomy)
            return _build(zf, header, where)
    except FileNotFoundError:
        raise ModelFileError(f"{where}: no model file: train one with 'ticketbot learn'") from None
    except OSError as exc:
        raise ModelFileError(f"{where}: cannot read the model file: {exc.strerror}") from None
    except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile):
        raise ModelFileError(
            f"{where}: damaged model file: not a readable zip: {REFUSED_FIX}"
        ) from None
    except RecursionError:
        raise ModelFileError(
            f"{where}: damaged model file: nested too deeply to read: {REFUSED_FIX}"
        ) from None
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ModelFileError(f"{where}: damaged model file: {exc}: {REFUSED_FIX}") from None


def _open_model(path: Path, where: str) -> BinaryIO:
    """The file, opened without blocking (a FIFO) and refused unless a regular file of at most
    ``MAX_FILE_BYTES``. Links are followed: a model may live in a mounted volume."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        found = os.fstat(fd)
        if not stat.S_ISREG(found.st_mode):
            raise ModelFileError(f"{where}: refused: not a regular file: {REFUSED_FIX}")
        if found.st_size > MAX_FILE_BYTES:
            raise ModelFileError(
                f"{where}: refused: {found.st_size // (1024 * 1024)} MB, more than a model's "
                f"{MAX_FILE_BYTES // (1024 * 1024)} MB: {REFUSED_FIX}"
            )
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def load_model(path: Path, taxonomy: tuple[str, ...]) -> tuple[LearnedModel | None, str | None]:
    """``(model, None)``, or ``(None, reason)`` for a missing, damaged or foreign file."""
    try:
        return read_model(path, taxonomy), None
    except ModelFileError as exc:
        return None, str(exc)


def head_text(package: str | None, name: str, path: Path | None = None) -> str:
    """A head's JSON file (the learned model's small heads on the encoder's vectors: the fault
    head, the spam head): the one at ``path``, else ``name`` as the package ``package`` ships
    it. Raises ``OSError`` as reading a file does; the caller names the head in its error."""
    if path is not None:
        return path.read_text(encoding="utf-8")
    from importlib import resources

    return resources.files(package or "").joinpath(name).read_text(encoding="utf-8")
