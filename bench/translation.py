"""Translation worker costs, measured side by side in one run.

* one-by-one (``argostranslate.translate.translate`` per message) vs batched
  (:meth:`ArgosTranslator.translate_batch`: all sentences of a batch in one CTranslate2 call),
  on the same messages, same models, same thread settings: messages/s and the ratio;
* cache hit latency of :func:`translate_messages` (Redis round trip, no model call);
* the worker's resident memory before and after loading argostranslate and the models;
* with ``--production-shaped`` (needs the ``build-models`` extra: transformers): the same
  comparison at the CTranslate2 level on a model shaped like argos' production packages
  (d_model 512, 6+6 layers, FFN 2048, 32k vocabulary, ~61 M parameters) with random weights
  and a fixed output length: one call per message of 1-3 sentences (cut into 32-token
  sub-batches, as argostranslate.translate calls CTranslate2) vs sub-batches of the whole
  batch, to see whether model size changes what batching saves.

    python bench/translation.py [--redis-url redis://127.0.0.1:6379/13] [--messages 240] [--rounds 3]
                                [--production-shaped] [--models FILE... [--target es]]

``--models`` measures other argos packages end to end the same way, e.g. argos' own
translate-en_es on a machine that could download it (this one cannot).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from telegram import MessageEntity

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def rss_mib() -> float:
    with Path("/proc/self/status").open() as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def corpus(n: int) -> list[str]:
    with (ROOT / "scripts" / "argos_corpus" / "core.tsv").open(encoding="utf-8") as fh:
        rows = [r["en"] for r in csv.DictReader(fh, delimiter="\t")]
    # Messages of one to three sentences, like chat messages.
    out: list[str] = []
    i = 0
    while len(out) < n:
        k = 1 + (len(out) % 3)
        out.append(" ".join(rows[(i + j) % len(rows)] for j in range(k)))
        i += k
    return out


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--messages", type=int, default=240)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--production-shaped", action="store_true")
    parser.add_argument(
        "--models", nargs="+", type=Path, metavar="FILE",
        help="argos packages to measure instead of the shipped ones (e.g. argos' own en->es, "
        "downloaded elsewhere); they must translate English to --target",
    )  # fmt: skip
    parser.add_argument("--target", default="es")
    args = parser.parse_args()

    from tg_support.translation import argos as translation

    base_rss = rss_mib()
    data = Path(tempfile.mkdtemp(prefix="bench-argos-"))
    translation.configure(data)
    t0 = time.perf_counter()
    import argostranslate.translate  # noqa: F401

    import_s = time.perf_counter() - t0
    models = args.models or sorted(translation.SHIPPED_MODELS.glob("*.argosmodel"))
    translation.install_models(models)
    dst = args.target
    engine = translation.translator()
    texts = corpus(args.messages)
    # Load the models once, outside the timings (argos' own, and the batch translator).
    engine.translate(texts[0], "en", dst)
    engine.translate_batch(texts[-args.batch :], "en", dst)
    loaded_rss = rss_mib()

    # Interleaved rounds, median of each side: a burst of load from elsewhere on the
    # machine hits both sides instead of one.
    one_times: list[float] = []
    batch_times: list[float] = []
    for _ in range(args.rounds):
        t0 = time.perf_counter()
        one = [engine.translate(t, "en", dst) for t in texts]
        one_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        batched: list[str] = []
        for i in range(0, len(texts), args.batch):
            batched += engine.translate_batch(texts[i : i + args.batch], "en", dst)
        batch_times.append(time.perf_counter() - t0)
    one_s, batch_s = statistics.median(one_times), statistics.median(batch_times)
    same = sum(a == b for a, b in zip(one, batched, strict=True)) / len(texts)

    from redis.asyncio import Redis

    redis = Redis.from_url(args.redis_url, decode_responses=True)
    prefix = "bench:tr:"
    cache = translation.TranslationCache(redis, prefix)
    items: list[tuple[str, list[MessageEntity]]] = [(t, []) for t in texts[:50]]
    await translation.translate_messages(cache, engine, items, "en", dst)  # fill the cache
    hits = []
    for text, ents in items:
        t0 = time.perf_counter()
        await translation.translate_messages(cache, engine, [(text, ents)], "en", dst)
        hits.append((time.perf_counter() - t0) * 1000)
    async for key in redis.scan_iter(f"{prefix}*"):
        await redis.delete(key)
    await redis.aclose()
    hits.sort()

    n = len(texts)
    print(
        f"translation.py: {n} messages en->{dst} (1-3 sentences each), "
        f"models: {', '.join(m.name for m in models)}, ARGOS_INTRA_THREADS={os.environ.get('ARGOS_INTRA_THREADS')}, "
        f"ARGOS_INTER_THREADS={os.environ.get('ARGOS_INTER_THREADS')}, median of {args.rounds} rounds"
    )
    print(f"  import argostranslate.translate: {import_s:.2f} s")
    print(f"  one-by-one (argostranslate.translate.translate): {n / one_s:7.1f} msg/s")
    print(f"  batched ({args.batch} messages per ctranslate2 call): {n / batch_s:7.1f} msg/s")
    print(f"  batched / one-by-one: {one_s / batch_s:.2f}x   (identical outputs: {same:.0%})")
    print(
        f"  cache hit: p50 {statistics.median(hits):.2f} ms, p99 {hits[int(0.99 * (len(hits) - 1))]:.2f} ms"
    )
    print(
        f"  RSS: {base_rss:.0f} MiB at start, {loaded_rss:.0f} MiB with argostranslate and a model loaded"
    )
    if args.production_shaped:
        production_shaped(translation.SUB_BATCH, int(os.environ["ARGOS_INTER_THREADS"]))


def production_shaped(sub_batch: int, inter_threads: int, sentences: int = 64) -> None:
    """One CTranslate2 call per message, as argostranslate.translate makes it, vs
    sub-batches of a whole batch, on a production-sized model."""
    import random

    try:
        import torch
        from transformers import MarianConfig, MarianMTModel
    except ImportError:
        print(
            "  production-shaped: needs the build-models extra (pip install -e '.[build-models]')"
        )
        return
    import ctranslate2

    sys.path.insert(0, str(ROOT / "scripts"))
    from build_argos_models import convert_ct2

    vocab = 32_000
    tokens = ["<unk>", "<s>", "</s>"] + [f"\u2581t{i}" for i in range(vocab - 4)] + ["<pad>"]
    torch.manual_seed(0)
    config = MarianConfig(
        vocab_size=vocab, decoder_vocab_size=vocab, d_model=512, encoder_layers=6,
        decoder_layers=6, encoder_attention_heads=8, decoder_attention_heads=8,
        encoder_ffn_dim=2048, decoder_ffn_dim=2048, max_position_embeddings=512,
        activation_function="swish", pad_token_id=vocab - 1, eos_token_id=2, bos_token_id=1,
        decoder_start_token_id=vocab - 1, scale_embedding=True,
        share_encoder_decoder_embeddings=True, tie_word_embeddings=True,
    )  # fmt: skip
    model = MarianMTModel(config)  # (conversion reads the weights; no forward pass here)
    params = sum(p.numel() for p in model.parameters()) / 1e6
    work = Path(tempfile.mkdtemp(prefix="bench-ct2-"))
    convert_ct2(model, tokens, work / "ct2", work)
    rng = random.Random(1)
    batch = [
        [tokens[rng.randrange(3, vocab - 1)] for _ in range(rng.randrange(6, 20))]
        for _ in range(sentences)
    ]
    # Random weights: a fixed output length keeps the work equal on both sides.
    opts: dict[str, object] = dict(
        beam_size=4, length_penalty=0.2, min_decoding_length=12, max_decoding_length=24
    )
    translator = ctranslate2.Translator(
        str(work / "ct2"), device="cpu", inter_threads=inter_threads, intra_threads=1,
        compute_type="int8",
    )  # fmt: skip
    translator.translate_batch(batch[:2], **opts)
    # One-by-one as argostranslate.translate does it: one call per message (here 1-3
    # sentences, as in the corpus above), cut into sub-batches of 32 tokens.
    messages: list[list[list[str]]] = []
    i = 0
    while i < len(batch):
        k = 1 + (len(messages) % 3)
        messages.append(batch[i : i + k])
        i += k
    t0 = time.perf_counter()
    for message in messages:
        translator.translate_batch(message, max_batch_size=32, batch_type="tokens", **opts)
    one_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    translator.translate_batch(batch, max_batch_size=sub_batch, **opts)
    batch_s = time.perf_counter() - t0
    print(
        f"  production-shaped ({params:.0f} M parameters, random weights, CTranslate2 only, "
        f"{sentences} sentences in {len(messages)} messages): one call per message as argos "
        f"makes it {one_s:.2f} s, sub-batches of {sub_batch} {batch_s:.2f} s: {one_s / batch_s:.1f}x"
    )


if __name__ == "__main__":
    asyncio.run(main())
