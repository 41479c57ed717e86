"""The learned reply classifier's model, shipped as data (``triage.reply_model``).

Its features are scikit-learn's ``HashingVectorizer`` output computed without scikit-learn, so
the file's weights mean what they meant when fitted; the shipped file is what the shipped
examples give; reading it unpickles nothing and refuses a damaged file; and classifying a reply
fits nothing: no scikit-learn or scipy is imported (fitting took a run to 600 MB), and the
rules alone do not load numpy.
"""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import zipfile
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from ticket_processor.errors import ModelFileError
from ticket_processor.triage.reply_kind import hashed_features, prepare_reply, train_reply_model
from ticket_processor.triage.reply_model import (
    features,
    load_shipped_model,
    model_bytes,
    murmurhash3_32,
    read_reply_model,
)

REPO = Path(__file__).resolve().parents[2]
TEXTS = [
    "Thanks, that solved it!",
    "Réponse automatique : je suis absente jusqu'au 10 mars.",
    "Danke, aber es funktioniert leider immer noch nicht. Fehler 0x80070005 ?!",
    "a",
    "",
    "   \t\n  ",
    "日本語のテキストも、絵文字も 🎉🎉 ok",
    "x" * 3 + " yy " + "export_2026-03-01.csv " * 5,
]


def test_the_hash_is_scikit_learns_murmurhash3() -> None:
    from sklearn.utils import murmurhash3_32 as theirs

    for text in [*TEXTS, "abc", "abcd", "abcde", "ñ", "\x00\x01\x02"]:
        data = text.encode("utf-8")
        assert murmurhash3_32(data) == theirs(data, seed=0), text


@pytest.mark.parametrize("text", TEXTS)
def test_the_features_are_the_hashing_vectorizers(text: str) -> None:
    union = hashed_features()
    row = union.transform([text]).tocsr()
    theirs = dict(zip(row.indices.tolist(), row.data.tolist(), strict=True))
    ours = features(prepare_reply(text))
    assert ours.keys() == theirs.keys()
    for column, value in theirs.items():
        assert ours[column] == pytest.approx(value, rel=1e-12)


def test_the_shipped_model_is_fitted_on_the_shipped_examples() -> None:
    examples = resources.files("ticket_processor.triage").joinpath("reply_examples.jsonl")
    model = load_shipped_model()
    assert model.examples_sha256 == hashlib.sha256(examples.read_bytes()).hexdigest(), (
        "reply_examples.jsonl changed: rebuild with python -m scripts.figures train_reply_model"
    )
    assert set(model.classes) == {"actionable", "thanks", "auto_reply"}


@pytest.mark.slow
def test_the_script_rebuilds_the_shipped_model() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "scripts.figures", "train_reply_model", "--check"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_fitted_model_written_and_read_back_gives_the_same_probabilities() -> None:
    rows = [
        {"text": "works now thanks", "reply_kind": "thanks"},
        {"text": "out of office until monday", "reply_kind": "auto_reply"},
        {"text": "still broken, please help", "reply_kind": "actionable"},
    ]
    model = train_reply_model(rows)
    again = read_reply_model(model_bytes(model))
    assert model_bytes(again) == model_bytes(model)  # same model, same bytes
    text = prepare_reply("still broken on monday")
    assert again.probabilities(text) == model.probabilities(text)


def _with_member(data: bytes, name: str, payload: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for info in source.infolist():
            zf.writestr(info.filename, payload if info.filename == name else source.read(info))
    return out.getvalue()


def _npy(array: np.ndarray, allow_pickle: bool = False) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def test_a_pickle_or_a_damaged_array_is_refused() -> None:
    shipped = resources.files("ticket_processor.triage").joinpath("reply_model.zip").read_bytes()
    pickled = _npy(np.array([{"x": 1}, None], dtype=object), allow_pickle=True)
    for name, payload in [
        ("coef.npy", pickled),
        ("coef.npy", _npy(np.zeros((2, 2)))),
        ("intercept.npy", _npy(np.array([np.nan, 0.0, 0.0]))),
        ("columns.npy", _npy(np.zeros(18308, dtype=np.int64))),
        ("header.json", b'{"format": "something else"}'),
    ]:
        with pytest.raises(ModelFileError):
            read_reply_model(_with_member(shipped, name, payload))
    with pytest.raises(ModelFileError):
        read_reply_model(b"not a zip")


def test_classifying_a_reply_fits_nothing() -> None:
    """A fresh interpreter classifies replies: the rules load no numpy, the learned model
    fits nothing, so neither scikit-learn nor scipy is ever imported."""
    code = (
        "import sys\n"
        "from ticket_processor.triage.reply_kind import classify_reply\n"
        "rules = classify_reply('Thanks, that solved it!').kind\n"
        "print(rules, 'numpy' in sys.modules)\n"
        "kinds = [classify_reply(t, engine='learned').kind for t in "
        "('Thanks, that solved it!', 'Still broken, error 500 again.')]\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'scipy'})\n"
        "print(','.join(kinds), heavy)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["thanks", "False", "thanks,actionable", "[]"]
