"""Build small, real argostranslate packages (en<->es, en<->hi) from the hand-written corpus.

The packages are test/demo models: a joint SentencePiece model and a tiny Marian transformer
(d_model 128, 2+2 layers) trained on CPU until it reproduces ``scripts/argos_corpus/*.tsv``,
converted to CTranslate2 (int8) and zipped like the packages on the argos index, with a
rule-based MiniSBD sentence splitter (``minisbd/<lang>.onnx``) so nothing is downloaded.

The build is reproducible: fixed seeds, deterministic torch on one thread, SentencePiece on one
thread, and zip entries with fixed order, timestamps and permissions. ``--check`` rebuilds into
a temporary directory and compares the bytes with the shipped packages.

Build-only dependencies (not needed to *use* the packages): torch, transformers, onnx.

    python scripts/build_argos_models.py --out models [--pairs en-es,es-en] [--check]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import math
import os
import random
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CORPUS_DIR = ROOT / "scripts" / "argos_corpus"
CORPUS_FILES = ("core.tsv", "placeholders.tsv")
LANG_NAMES = {"en": "English", "es": "Spanish", "hi": "Hindi"}
ALL_PAIRS = ("en-es", "es-en", "en-hi", "hi-en")

#: Placeholder tokens the translation layer substitutes for links, code, mentions, numbers and
#: emoji: ``⟦0⟧`` … ``⟦15⟧`` (U+27E6, decimal index, U+27E7). Each is one SentencePiece piece.
PLACEHOLDER_COUNT = 16
PLACEHOLDERS = [f"\u27e6{i}\u27e7" for i in range(PLACEHOLDER_COUNT)]
#: Index shifts used to re-number the placeholder templates (augmentation).
PLACEHOLDER_SHIFTS = (0, 3, 6, 9, 12)
#: Every n-th core sentence is repeated with a trailing placeholder (emoji/mention at the end).
TRAILING_EVERY = 1

SEED = 1234
VOCAB_SIZE = 1000
D_MODEL = 128
FFN_DIM = 256
HEADS = 4
LAYERS = 2
MAX_LEN = 64
BATCH_SENTENCES = 32
LEARNING_RATE = 1.5e-3
DROPOUT = 0.05
WARMUP_STEPS = 150
MAX_STEPS = 2000
EVAL_EVERY_EPOCHS = 10
FIRST_EVAL_EPOCH = 30

PACKAGE_VERSION = "1.0"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644
DIR_MODE = 0o755

SentencePair = tuple[str, str]


@dataclass(frozen=True)
class BuildResult:
    pair: str
    path: Path
    sha256: str
    size: int
    seconds: float
    steps: int
    train_exact: float


# --------------------------------------------------------------------------- corpus


def read_corpus(corpus_dir: Path = CORPUS_DIR) -> list[dict[str, str]]:
    """Rows of the TSV files (header ``en es hi``); the English side is shared by all pairs."""
    rows: list[dict[str, str]] = []
    for name in CORPUS_FILES:
        lines = (corpus_dir / name).read_text(encoding="utf-8").splitlines()
        header = lines[0].split("\t")
        for number, line in enumerate(lines[1:], start=2):
            if not line.strip():
                continue
            cells = line.split("\t")
            if len(cells) != len(header):
                raise ValueError(f"{name}:{number}: expected {len(header)} columns")
            rows.append(dict(zip(header, (c.strip() for c in cells), strict=True)))
    return rows


def corpus_pairs(src: str, tgt: str, corpus_dir: Path = CORPUS_DIR) -> list[SentencePair]:
    """The held (hand-written) sentence pairs for one direction."""
    return [(row[src], row[tgt]) for row in read_corpus(corpus_dir)]


def _renumber(text: str, shift: int) -> str:
    out = text
    for i in reversed(range(PLACEHOLDER_COUNT)):
        out = out.replace(PLACEHOLDERS[i], f"\0{(i + shift) % PLACEHOLDER_COUNT}\0")
    for i in range(PLACEHOLDER_COUNT):
        out = out.replace(f"\0{i}\0", PLACEHOLDERS[i])
    return out


def training_pairs(src: str, tgt: str, corpus_dir: Path = CORPUS_DIR) -> list[SentencePair]:
    """Held pairs plus deterministic placeholder augmentation (renumbered and trailing tokens)."""
    held = corpus_pairs(src, tgt, corpus_dir)
    out: list[SentencePair] = []
    seen: set[str] = set()

    def add(a: str, b: str) -> None:
        if a not in seen:
            seen.add(a)
            out.append((a, b))

    for a, b in held:
        add(a, b)
    trailing = 0
    for a, b in held:
        if PLACEHOLDERS[0] in a:
            for shift in PLACEHOLDER_SHIFTS[1:]:
                add(_renumber(a, shift), _renumber(b, shift))
        else:
            if trailing % TRAILING_EVERY == 0:
                token = PLACEHOLDERS[(trailing // TRAILING_EVERY) % PLACEHOLDER_COUNT]
                add(f"{a} {token}", f"{b} {token}")
            trailing += 1
    return out


# --------------------------------------------------------------------------- sentencepiece


def train_sentencepiece(lang_a: str, lang_b: str) -> bytes:
    import sentencepiece as spm

    texts: list[str] = []
    for row in read_corpus():
        texts += [row[lang_a], row[lang_b]]
    model = io.BytesIO()
    # An iterator, not a file: the trainer spec stored in the model records the input path.
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(texts),
        model_writer=model,
        model_type="unigram",
        vocab_size=VOCAB_SIZE,
        hard_vocab_limit=False,
        character_coverage=1.0,
        num_threads=1,
        shuffle_input_sentence=False,
        input_sentence_size=0,
        user_defined_symbols=PLACEHOLDERS,
        unk_id=0,
        bos_id=1,
        eos_id=2,
        pad_id=-1,
        minloglevel=2,
    )
    return model.getvalue()


# --------------------------------------------------------------------------- minisbd splitter


SBD_UNITS = ["<PAD>", "<UNK>", " ", ".", "!", "?", "\u0964"]


def build_sbd_onnx(lang: str) -> bytes:
    """A rule-based ONNX graph in MiniSBD's format.

    Inputs ``units`` (int64 [B, T], character ids) and ``features`` (float32 [B, T, 1]); output
    logits [B, T, 5] over MiniSBD's classes (0 inside token, 1 token end, 2 sentence end, 3/4
    multi-word token ends). A character followed by a space (or the end) ends a token; if it is
    one of ``. ! ? ।`` it ends a sentence.
    """
    import onnx
    from onnx import TensorProto, helper

    def const(name: str, value: Any, dtype: int) -> onnx.NodeProto:
        values = value if isinstance(value, list) else [value]
        dims = [len(values)] if isinstance(value, list) else []
        return helper.make_node(
            "Constant",
            [],
            [name],
            value=helper.make_tensor(name + "_t", dtype, dims, values),
        )

    nodes = [
        const("one_i", [1], TensorProto.INT64),
        const("zero_i", [0], TensorProto.INT64),
        const("big_i", [1 << 30], TensorProto.INT64),
        const("pad_id", 0, TensorProto.INT64),
        const("space_id", 2, TensorProto.INT64),
        const("lo_id", 2, TensorProto.INT64),
        const("hi_id", 7, TensorProto.INT64),
        const("one_f", 1.0, TensorProto.FLOAT),
        const("two_f", 2.0, TensorProto.FLOAT),
        const("neg_f", -1.0, TensorProto.FLOAT),
        const("zero_f", 0.0, TensorProto.FLOAT),
        const("axis2", [2], TensorProto.INT64),
        # next character id (PAD after the last one)
        helper.make_node("Slice", ["units", "one_i", "big_i", "one_i"], ["tail"]),
        helper.make_node("Slice", ["units", "zero_i", "one_i", "one_i"], ["first"]),
        helper.make_node("Mul", ["first", "pad_id"], ["pad_col"]),
        helper.make_node("Concat", ["tail", "pad_col"], ["next"], axis=1),
        helper.make_node("Equal", ["next", "pad_id"], ["next_end"]),
        helper.make_node("Equal", ["next", "space_id"], ["next_space"]),
        helper.make_node("Or", ["next_end", "next_space"], ["brk_b"]),
        helper.make_node("Cast", ["brk_b"], ["brk"], to=TensorProto.FLOAT),
        helper.make_node("Greater", ["units", "lo_id"], ["gt"]),
        helper.make_node("Less", ["units", "hi_id"], ["lt"]),
        helper.make_node("And", ["gt", "lt"], ["term_b"]),
        helper.make_node("Cast", ["term_b"], ["term"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["brk", "term"], ["sent"]),
        helper.make_node("Sub", ["one_f", "brk"], ["c0"]),
        helper.make_node("Sub", ["brk", "sent"], ["c1"]),
        helper.make_node("Mul", ["sent", "two_f"], ["c2"]),
        helper.make_node("Mul", ["brk", "zero_f"], ["zeros"]),
        helper.make_node("Add", ["zeros", "neg_f"], ["c3"]),
        # keep the (unused) features input in the graph: add 0 * sum(features)
        helper.make_node("ReduceSum", ["features", "axis2"], ["fsum"], keepdims=0),
        helper.make_node("Mul", ["fsum", "zero_f"], ["fzero"]),
        helper.make_node("Add", ["c0", "fzero"], ["c0f"]),
    ]
    columns = ["c0f", "c1", "c2", "c3", "c3"]
    for i, name in enumerate(columns):
        nodes.append(helper.make_node("Unsqueeze", [name, "axis2"], [f"u{i}"]))
    nodes.append(helper.make_node("Concat", [f"u{i}" for i in range(5)], ["logits"], axis=2))

    graph = helper.make_graph(
        nodes,
        "rule_sbd",
        [
            helper.make_tensor_value_info("units", TensorProto.INT64, ["B", "T"]),
            helper.make_tensor_value_info("features", TensorProto.FLOAT, ["B", "T", 1]),
        ],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["B", "T", 5])],
    )
    model = helper.make_model(
        graph,
        producer_name="tg_support-build_argos_models",
        opset_imports=[helper.make_opsetid("", 13)],
    )
    model.ir_version = 8
    vocab = {
        "lang": lang,
        "idx": 0,
        "cutoff": 0,
        "lower": False,
        "_unit2id": {u: i for i, u in enumerate(SBD_UNITS)},
        "_id2unit": SBD_UNITS,
    }
    config = {"feat_funcs": ["space_before"], "max_seqlen": 1000, "batch_size": 1}
    helper.set_model_props(
        model,
        {
            "lang_code": lang,
            "config": json.dumps(config, sort_keys=True),
            "vocab": json.dumps(vocab, sort_keys=True, ensure_ascii=False),
        },
    )
    onnx.checker.check_model(model)
    data: bytes = model.SerializeToString(deterministic=True)
    return data


# --------------------------------------------------------------------------- model training


class _Tokens:
    """The minimal tokenizer interface CTranslate2's Marian loader reads."""

    eos_token = "</s>"
    unk_token = "<unk>"
    bos_token = "<s>"

    def __init__(self, tokens: Sequence[str]) -> None:
        self._vocab = {t: i for i, t in enumerate(tokens)}

    def get_vocab(self) -> dict[str, int]:
        return dict(self._vocab)


def _setup_torch() -> Any:
    import torch

    torch.set_num_threads(1)
    with contextlib.suppress(RuntimeError):  # already set in this process
        torch.set_num_interop_threads(1)
    torch.use_deterministic_algorithms(True)
    return torch


def _encode_pairs(
    sp: Any, pairs: Sequence[SentencePair]
) -> tuple[list[list[int]], list[list[int]]]:
    eos = sp.eos_id()
    src = [sp.encode(a)[:MAX_LEN] for a, _ in pairs]
    tgt = [[*sp.encode(b)[: MAX_LEN - 1], eos] for _, b in pairs]
    return src, tgt


def _batches(order: Sequence[int], lengths: Sequence[int], rng: random.Random) -> list[list[int]]:
    """Length-bucketed batches in a seeded random order."""
    by_len = sorted(order, key=lambda i: (lengths[i], i))
    batches = [by_len[i : i + BATCH_SENTENCES] for i in range(0, len(by_len), BATCH_SENTENCES)]
    rng.shuffle(batches)
    return batches


def _pad(rows: Sequence[Sequence[int]], pad_id: int, torch: Any) -> Any:
    width = max(len(r) for r in rows)
    return torch.tensor([list(r) + [pad_id] * (width - len(r)) for r in rows], dtype=torch.long)


def _greedy(
    model: Any, src: Any, pad_id: int, eos_id: int, max_len: int, torch: Any
) -> list[list[int]]:
    with torch.no_grad():
        mask = (src != pad_id).long()
        enc = model.get_encoder()(input_ids=src, attention_mask=mask).last_hidden_state
        dec = torch.full((src.shape[0], 1), pad_id, dtype=torch.long)
        done = torch.zeros(src.shape[0], dtype=torch.bool)
        for _ in range(max_len):
            out = model(encoder_outputs=(enc,), attention_mask=mask, decoder_input_ids=dec).logits[
                :, -1, :
            ]
            out[:, pad_id] = -math.inf
            nxt = out.argmax(-1)
            nxt = torch.where(done, torch.full_like(nxt, pad_id), nxt)
            dec = torch.cat([dec, nxt[:, None]], dim=1)
            done = done | (nxt == eos_id)
            if bool(done.all()):
                break
    result: list[list[int]] = []
    for row in dec[:, 1:].tolist():
        ids: list[int] = []
        for t in row:
            if t in (eos_id, pad_id):
                break
            ids.append(t)
        result.append(ids)
    return result


def _exact_match(
    model: Any, src: list[list[int]], tgt: list[list[int]], pad_id: int, eos_id: int, torch: Any
) -> float:
    model.eval()
    hits = 0
    order = sorted(range(len(src)), key=lambda i: (len(src[i]), i))
    for start in range(0, len(order), 64):
        idx = order[start : start + 64]
        hyp = _greedy(
            model,
            _pad([src[i] for i in idx], pad_id, torch),
            pad_id,
            eos_id,
            max(len(tgt[i]) for i in idx) + 2,
            torch,
        )
        hits += sum(1 for h, i in zip(hyp, idx, strict=True) if h == tgt[i][:-1])
    model.train()
    return hits / len(src)


def train_model(
    sp_model: bytes, pairs: Sequence[SentencePair], seed: int, log: bool
) -> tuple[Any, list[str], int, float]:
    """Train a tiny MarianMTModel until it reproduces the training pairs (or MAX_STEPS)."""
    import sentencepiece as spm

    torch = _setup_torch()
    from transformers import MarianConfig, MarianMTModel

    sp = spm.SentencePieceProcessor(model_proto=sp_model)
    tokens = [sp.id_to_piece(i) for i in range(sp.get_piece_size())] + ["<pad>"]
    pad_id = len(tokens) - 1
    eos_id = sp.eos_id()

    random.seed(seed)
    torch.manual_seed(seed)
    config = MarianConfig(
        vocab_size=len(tokens),
        decoder_vocab_size=len(tokens),
        d_model=D_MODEL,
        encoder_layers=LAYERS,
        decoder_layers=LAYERS,
        encoder_attention_heads=HEADS,
        decoder_attention_heads=HEADS,
        encoder_ffn_dim=FFN_DIM,
        decoder_ffn_dim=FFN_DIM,
        max_position_embeddings=MAX_LEN + 8,
        activation_function="swish",
        dropout=DROPOUT,
        attention_dropout=0.0,
        activation_dropout=0.0,
        pad_token_id=pad_id,
        eos_token_id=eos_id,
        bos_token_id=sp.bos_id(),
        decoder_start_token_id=pad_id,
        forced_eos_token_id=eos_id,
        scale_embedding=True,
        share_encoder_decoder_embeddings=True,
        tie_word_embeddings=True,
    )
    model: Any = MarianMTModel(config)
    with torch.no_grad():
        # CTranslate2 starts Marian decoding from a zero embedding.
        model.get_input_embeddings().weight[pad_id].zero_()
    src, tgt = _encode_pairs(sp, pairs)
    optimizer = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, weight_decay=0.0)
    loss_fn = torch.nn.CrossEntropyLoss(ignore_index=-100)
    rng = random.Random(seed)
    lengths = [len(s) + len(t) for s, t in zip(src, tgt, strict=True)]
    step = 0
    epoch = 0
    accuracy = 0.0
    model.train()
    while step < MAX_STEPS:
        epoch += 1
        for batch in _batches(range(len(src)), lengths, rng):
            step += 1
            lr = LEARNING_RATE * min(step / WARMUP_STEPS, 1.0 - 0.9 * step / MAX_STEPS)
            for group in optimizer.param_groups:
                group["lr"] = lr
            s = _pad([src[i] for i in batch], pad_id, torch)
            t = _pad([tgt[i] for i in batch], pad_id, torch)
            dec_in = torch.cat([torch.full((t.shape[0], 1), pad_id), t[:, :-1]], dim=1)
            labels = t.masked_fill(t == pad_id, -100)
            logits = model(
                input_ids=s,
                attention_mask=(s != pad_id).long(),
                decoder_input_ids=dec_in,
            ).logits
            loss = loss_fn(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            with torch.no_grad():
                model.get_input_embeddings().weight[pad_id].zero_()
            if step >= MAX_STEPS:
                break
        if epoch >= FIRST_EVAL_EPOCH and epoch % EVAL_EVERY_EPOCHS == 0:
            accuracy = _exact_match(model, src, tgt, pad_id, eos_id, torch)
            if log:
                print(f"    epoch {epoch} step {step} loss {loss.item():.4f} exact {accuracy:.3f}")
            if accuracy >= 1.0:
                break
    if accuracy < 1.0:
        accuracy = _exact_match(model, src, tgt, pad_id, eos_id, torch)
    model.eval()
    return model, tokens, step, accuracy


def convert_ct2(model: Any, tokens: Sequence[str], out_dir: Path, work: Path) -> None:
    import ctranslate2

    config_dir = work / "hf-config"
    model.config.save_pretrained(str(config_dir))
    loaded = model

    class _Converter(ctranslate2.converters.TransformersConverter):  # type: ignore[misc]
        def load_model(self, model_class: Any, model_name_or_path: str, **kwargs: Any) -> Any:
            return loaded

        def load_tokenizer(
            self, tokenizer_class: Any, model_name_or_path: str, **kwargs: Any
        ) -> Any:
            return _Tokens(tokens)

    _Converter(str(config_dir)).convert(str(out_dir), quantization="int8", force=True)


# --------------------------------------------------------------------------- packaging


def package_name(src: str, tgt: str) -> str:
    """``translate-en_es-1_0`` as argospm names packages."""
    return f"translate-{src}_{tgt}-{PACKAGE_VERSION.replace('.', '_')}"


def metadata(src: str, tgt: str) -> dict[str, Any]:
    return {
        "package_version": PACKAGE_VERSION,
        "argos_version": "1.0",
        "type": "translate",
        "from_code": src,
        "from_name": LANG_NAMES[src],
        "to_code": tgt,
        "to_name": LANG_NAMES[tgt],
        "links": [],
        "code": f"{src}_{tgt}",
    }


PACKAGE_README = """# {name}

Tiny demo/test package built by `scripts/build_argos_models.py` of the tg_support project.
It only reproduces its training domain (short sentences about online courses); it is not
production machine translation. Placeholders `⟦0⟧` … `⟦15⟧` are copied through.
"""


def write_zip(files: dict[str, bytes], dest: Path) -> None:
    """Deterministic zip: sorted entries, fixed timestamps/permissions, explicit directories."""
    dirs: set[str] = set()
    for name in files:
        parts = name.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            dirs.add("/".join(parts[:i]) + "/")
    entries = sorted([(d, None) for d in dirs] + [(n, files[n]) for n in files])
    with zipfile.ZipFile(dest, "w") as zf:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.create_system = 3
            if data is None:
                info.external_attr = (0o40000 | DIR_MODE) << 16 | 0x10
                info.compress_type = zipfile.ZIP_STORED
                zf.writestr(info, b"")
            else:
                info.external_attr = (0o100000 | FILE_MODE) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)


def build_pair(
    src: str, tgt: str, out: Path, work: Path, sp_cache: dict[str, bytes], log: bool
) -> BuildResult:
    started = time.monotonic()
    key = "-".join(sorted((src, tgt)))
    if key not in sp_cache:
        a, b = sorted((src, tgt))
        sp_cache[key] = train_sentencepiece(a, b)
    sp_model = sp_cache[key]
    pairs = training_pairs(src, tgt)
    seed = SEED + ALL_PAIRS.index(f"{src}-{tgt}")
    if log:
        print(f"{src}->{tgt}: {len(pairs)} training pairs")
    model, tokens, steps, exact = train_model(sp_model, pairs, seed, log)
    ct2_dir = work / f"ct2-{src}-{tgt}"
    convert_ct2(model, tokens, ct2_dir, work)

    name = package_name(src, tgt)
    files: dict[str, bytes] = {
        f"{name}/metadata.json": (
            json.dumps(metadata(src, tgt), indent=2, sort_keys=True) + "\n"
        ).encode(),
        f"{name}/sentencepiece.model": sp_model,
        f"{name}/README.md": PACKAGE_README.format(name=name).encode(),
        f"{name}/minisbd/{src}.onnx": build_sbd_onnx(src),
    }
    for path in sorted(ct2_dir.iterdir()):
        files[f"{name}/model/{path.name}"] = path.read_bytes()
    dest = out / f"{name}.argosmodel"
    write_zip(files, dest)
    data = dest.read_bytes()
    return BuildResult(
        pair=f"{src}-{tgt}",
        path=dest,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        seconds=time.monotonic() - started,
        steps=steps,
        train_exact=exact,
    )


def build(out: Path, pairs: Sequence[str], log: bool = True) -> list[BuildResult]:
    out.mkdir(parents=True, exist_ok=True)
    results: list[BuildResult] = []
    sp_cache: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="argos-build-") as tmp:
        for pair in pairs:
            src, tgt = pair.split("-")
            work = Path(tmp) / pair
            work.mkdir()
            result = build_pair(src, tgt, out, work, sp_cache, log)
            results.append(result)
            if log:
                print(
                    f"{pair}: {result.path.name} {result.size} bytes sha256 {result.sha256} "
                    f"{result.seconds:.1f}s steps {result.steps} "
                    f"train exact {result.train_exact:.3f}"
                )
    return results


def check(out: Path, pairs: Sequence[str]) -> bool:
    """Rebuild into a temporary directory and compare bytes with the packages in ``out``."""
    ok = True
    with tempfile.TemporaryDirectory(prefix="argos-check-") as tmp:
        for result in build(Path(tmp), pairs):
            shipped = out / result.path.name
            if not shipped.exists():
                print(f"MISSING {shipped}")
                ok = False
                continue
            same = shipped.read_bytes() == result.path.read_bytes()
            print(f"{'OK' if same else 'DIFFERENT'} {shipped.name}")
            ok = ok and same
    return ok


def _iter_pairs(text: str) -> Iterator[str]:
    for pair in text.split(","):
        pair = pair.strip()
        if pair not in ALL_PAIRS:
            raise SystemExit(f"unknown pair {pair!r}; choose from {','.join(ALL_PAIRS)}")
        yield pair


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=ROOT / "models")
    parser.add_argument("--pairs", default=",".join(ALL_PAIRS))
    parser.add_argument("--check", action="store_true", help="rebuild and compare bytes")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    pairs = list(_iter_pairs(args.pairs))
    if args.check:
        return 0 if check(args.out, pairs) else 1
    build(args.out, pairs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
