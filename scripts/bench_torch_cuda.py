#!/usr/bin/python3
"""PyTorch peers of the CUDA benchmarks (issue 4), measured on the same GPU in the same run
as ours (scripts/bench-cuda.mjs). One JSON line per measurement on stdout.

  bench_torch_cuda.py gemm      torch.matmul in bf16 (cuBLAS) at 4096^3 and the model's shapes
  bench_torch_cuda.py attention scaled_dot_product_attention, bf16, forward and forward+backward
  bench_torch_cuda.py train     a Transformer-base training step: eager and torch.compile,
                                bf16 autocast, fused AdamW (scripts/torch_model.py's model)

Timing: CUDA events around each call after warm-up; the median of --iters runs.
The training peer uses SDPA's flash path: the benchmark batches have no padding, so the
encoder and cross attention need no mask and the decoder's is `is_causal` (the most
favourable setting for PyTorch).
"""

import argparse
import json
import math
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_model as tm  # noqa: E402

# Transformer-base (issue 4): d 512, 6+6 layers, 8 heads, ff 2048, vocabulary 16,000.
BASE = dict(vocab_size=16000, d_model=512, n_heads=8, d_ff=2048, encoder_layers=6, decoder_layers=6,
            max_len=256, dropout=0.1, label_smoothing=0.1, activation="relu", ln_eps=1e-5,
            pad_id=0, bos_id=1, eos_id=2)

# Dense bf16 tensor-core peaks (TFLOP/s) for model FLOP utilisation, by device name.
PEAKS = [("H200", 989.4), ("H100 SXM", 989.4), ("H100 80GB HBM3", 989.4), ("H100 PCIe", 756.0),
         ("H100 NVL", 835.0), ("H100", 989.4), ("A100", 312.0)]


def peak_tflops(name):
    for key, v in PEAKS:
        if key in name:
            return v
    return None


def emit(rec):
    rec = dict(rec)
    rec.setdefault("impl", "pytorch")
    print(json.dumps(rec), flush=True)


def time_ms(fn, iters, warmup=3):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(iters):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        b.synchronize()
        times.append(a.elapsed_time(b))
    return statistics.median(times)


def model_gemm_shapes(rows):
    """(name, M, N, K, layout) of every GEMM kind in a Transformer-base step; layout is the
    (transA, transB) of C = op(A) op(B) as the engine calls it."""
    d, f, V = BASE["d_model"], BASE["d_ff"], BASE["vocab_size"]
    out = []
    for o, i, what in ((3 * d, d, "qkv"), (d, d, "out"), (f, d, "fc1"), (d, f, "fc2"), (V, d, "logits")):
        out.append((f"fwd {what}", rows, o, i, "NT"))
        out.append((f"dX {what}", rows, i, o, "NN"))
        out.append((f"dW {what}", o, i, rows, "TN"))
    return out


def cmd_gemm(args):
    dev = torch.device("cuda")
    shapes = [("square 4096", 4096, 4096, 4096, "NN")] + model_gemm_shapes(args.rows)
    for name, M, N, K, lay in shapes:
        A = torch.randn((K, M) if lay[0] == "T" else (M, K), device=dev, dtype=torch.bfloat16)
        B = torch.randn((N, K) if lay[1] == "T" else (K, N), device=dev, dtype=torch.bfloat16)
        a = A.t() if lay[0] == "T" else A
        b = B.t() if lay[1] == "T" else B
        ms = time_ms(lambda: torch.matmul(a, b), args.iters)
        emit(dict(bench="gemm", name=name, M=M, N=N, K=K, layout=lay, dtype="bf16", ms=round(ms, 4),
                  tflops=round(2 * M * N * K / ms / 1e9, 1)))


def cmd_attention(args):
    dev = torch.device("cuda")
    B, H, dh = args.batch, args.heads, 64
    for T in (64, 128, 256, 512):
        for causal in (False, True):
            qkv = torch.randn(B, T, 3, H, dh, device=dev, dtype=torch.bfloat16)
            q, k, v = (qkv[:, :, i].transpose(1, 2).detach().requires_grad_(True) for i in range(3))
            do = torch.randn(B, H, T, dh, device=dev, dtype=torch.bfloat16)

            def fwd():
                return F.scaled_dot_product_attention(q, k, v, is_causal=causal)

            def fwd_bwd():
                o = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
                o.backward(do)

            f_ms = time_ms(fwd, args.iters)
            fb_ms = time_ms(fwd_bwd, args.iters)
            emit(dict(bench="attention", B=B, H=H, T=T, dh=dh, causal=causal, dtype="bf16",
                      fwd_ms=round(f_ms, 4), fwd_bwd_ms=round(fb_ms, 4), bwd_ms=round(fb_ms - f_ms, 4)))


def sdpa_attention(q, k, v, visible, n_heads):
    B, Tq, d = q.shape
    Tk = k.shape[1]
    dh = d // n_heads
    qh = q.reshape(B, Tq, n_heads, dh).transpose(1, 2)
    kh = k.reshape(B, Tk, n_heads, dh).transpose(1, 2)
    vh = v.reshape(B, Tk, n_heads, dh).transpose(1, 2)
    o = F.scaled_dot_product_attention(qh, kh, vh, is_causal=(visible == "causal"))
    return o.transpose(1, 2).reshape(B, Tq, d)


def unpadded_masks(src_len, tgt_len, Ts, Tt):
    return None, None, "causal"


def train_flops(cfg, B, S, T):
    """Matmul FLOPs of one training step (forward x 3), attention included, causal halved."""
    d, f, V = cfg["d_model"], cfg["d_ff"], cfg["vocab_size"]
    Le, Ld = cfg["encoder_layers"], cfg["decoder_layers"]
    enc = Le * (B * S * 2 * (3 * d * d + d * d + 2 * d * f) + 2 * 2 * B * S * S * d)
    dec = Ld * (B * T * 2 * (3 * d * d + d * d + d * d + d * d + 2 * d * f) + B * S * 2 * 2 * d * d
                + 2 * 2 * B * T * T * d / 2 + 2 * 2 * B * T * S * d)
    logits = B * T * 2 * d * V
    return 3 * (enc + dec + logits)


def cmd_train(args):
    dev = torch.device("cuda")
    cfg = tm.normalize_config(dict(BASE))
    B, S, T = args.batch, args.src_len, args.tgt_len
    tm.attention = sdpa_attention
    tm.make_masks = unpadded_masks
    g = torch.Generator().manual_seed(1)
    torch.manual_seed(1)
    params = tm.init_params(cfg, g)
    P = {k: v.to(dev).requires_grad_(True) for k, v in params.items()}
    model = tm.Model(cfg, P, fused=True)
    decay = [p for n, p in P.items() if tm.is_decayed(n)]
    no_decay = [p for n, p in P.items() if not tm.is_decayed(n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=1e-4, betas=(0.9, 0.98), eps=1e-9, fused=True)

    def batch():
        src = torch.randint(3, cfg["vocab_size"], (B, S), generator=g)
        y = torch.randint(3, cfg["vocab_size"], (B, T - 1), generator=g)
        tgt_in = torch.cat([torch.full((B, 1), cfg["bos_id"]), y], dim=1)
        labels = torch.cat([y, torch.full((B, 1), cfg["eos_id"])], dim=1)
        return tuple(t.to(dev) for t in (src, torch.full((B,), S), tgt_in, labels, torch.full((B,), T)))

    def loss_fn(src, src_len, tgt_in, labels, tgt_len):
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss, _ = model.loss(src, src_len, tgt_in, labels, tgt_len, train=True)
        return loss

    flops = train_flops(cfg, B, S, T)
    peak = peak_tflops(torch.cuda.get_device_name(dev))
    modes = ["eager", "compile"] if not args.no_compile else ["eager"]
    for mode in modes:
        # Model.loss computes the label count with .item(); compile it with that graph break.
        fn = torch.compile(loss_fn) if mode == "compile" else loss_fn
        batches = [batch() for _ in range(4)]

        def step(i):
            opt.zero_grad(set_to_none=True)
            loss = fn(*batches[i % len(batches)])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(list(P.values()), 1.0)
            opt.step()
            return loss

        t0 = time.perf_counter()
        step(0)
        torch.cuda.synchronize()
        first_s = time.perf_counter() - t0
        counter = [1]

        def one():
            step(counter[0])
            counter[0] += 1

        ms = time_ms(one, args.iters, warmup=3)
        tflops = flops / ms / 1e9
        emit(dict(bench="train", mode=mode, dtype="bf16 autocast", batch=B, src_len=S, tgt_len=T,
                  tokens_per_step=B * (S + T), step_ms=round(ms, 2),
                  tokens_per_s=round(B * (S + T) / ms * 1e3, 0), model_tflops=round(tflops, 1),
                  mfu=round(tflops / peak, 4) if peak else None, peak_tflops=peak,
                  first_step_s=round(first_s, 2)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["gemm", "attention", "train", "all"])
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--rows", type=int, default=24576, help="tokens per GEMM at the model's shapes")
    ap.add_argument("--batch", type=int, default=96)
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--src-len", type=int, default=128)
    ap.add_argument("--tgt-len", type=int, default=128)
    ap.add_argument("--no-compile", action="store_true")
    args = ap.parse_args()
    if not torch.cuda.is_available():
        print("bench_torch_cuda: no CUDA device visible to torch", file=sys.stderr)
        sys.exit(2)
    emit(dict(bench="system", gpu=torch.cuda.get_device_name(0), torch=torch.__version__,
              cuda=torch.version.cuda, capability=".".join(map(str, torch.cuda.get_device_capability(0)))))
    for what in (["gemm", "attention", "train"] if args.what == "all" else [args.what]):
        if what == "attention":
            args_att = argparse.Namespace(**vars(args))
            args_att.batch = 32
            cmd_attention(args_att)
        else:
            {"gemm": cmd_gemm, "train": cmd_train}[what](args)


if __name__ == "__main__":
    main()
