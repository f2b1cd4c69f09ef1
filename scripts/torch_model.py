#!/usr/bin/python3
"""An independent PyTorch implementation of docs/model.md.

It is the golden reference for the native engine's loss and gradients
(tests/model_vs_torch.test.ts) and the speed peer for training benchmarks.
Every layer is written out by hand from docs/model.md (no nn.Transformer);
parameters are plain tensors kept in the documented order under the documented
names, which are also the safetensors keys.

Usage (run with a Python that has torch, e.g. /usr/bin/python3 on Debian):

  torch_model.py grads --model DIR --batch BATCH.json --out OUT.safetensors [--double]
      Loss and gradients of one batch, dropout off. BATCH.json is
      {"src": [[ids...], ...], "tgt": [[ids...], ...]} with raw target ids (no BOS/EOS).
      OUT holds "loss" (shape [1]) and one gradient per parameter, same names.
  torch_model.py init --config CONFIG.json --seed N --out DIR
      A randomly initialised model (DIR/config.json, DIR/model.safetensors) drawn
      from the documented distributions with torch's RNG.
  torch_model.py train-bench [--steps 5] [--threads 2] [--device cpu]
      Trains the reference benchmark model (vocab 8000, d 256, 3+3 layers, 256 pairs of
      32+32 tokens per step, AdamW, clipping 1.0) on random batches; prints one JSON line.
      Uses torch's fused F.layer_norm/F.linear/F.cross_entropy (--explicit: the
      hand-written reference ops; selfcheck asserts both compute the same).
  torch_model.py selfcheck
      Checks this implementation against torch's own building blocks; exit 1 on failure.
"""

import argparse
import json
import math
import os
import struct
import sys
import tempfile
import time
from collections import OrderedDict

import torch
import torch.nn.functional as F

# --------------------------------------------------------------------------------------
# Configuration

CONFIG_DEFAULTS = OrderedDict(
    [
        ("vocab_size", None),
        ("d_model", 256),
        ("n_heads", 4),
        ("d_ff", 1024),
        ("encoder_layers", 3),
        ("decoder_layers", 3),
        ("max_len", 256),
        ("dropout", 0.1),
        ("label_smoothing", 0.1),
        ("activation", "relu"),
        ("ln_eps", 1e-5),
        ("pad_id", 0),
        ("bos_id", 1),
        ("eos_id", 2),
    ]
)


def normalize_config(cfg, where="config"):
    """Fills documented defaults and checks every field; returns a new ordered dict."""
    if not isinstance(cfg, dict):
        raise ValueError(f"{where}: expected a JSON object")
    unknown = [k for k in cfg if k not in CONFIG_DEFAULTS]
    if unknown:  # e.g. fields a newer writer adds; they do not change the math here
        print(f"torch_model: {where}: ignoring unknown field(s) {unknown}", file=sys.stderr)
    out = OrderedDict()
    for k, default in CONFIG_DEFAULTS.items():
        v = cfg.get(k, default)
        if v is None:
            raise ValueError(f"{where}: field '{k}' is required")
        out[k] = v
    ints = ["vocab_size", "d_model", "n_heads", "d_ff", "encoder_layers", "decoder_layers",
            "max_len", "pad_id", "bos_id", "eos_id"]
    for k in ints:
        if not isinstance(out[k], int) or isinstance(out[k], bool):
            raise ValueError(f"{where}: field '{k}' must be an integer, got {out[k]!r}")
    for k in ["vocab_size", "d_model", "n_heads", "d_ff", "max_len"]:
        if out[k] < 1:
            raise ValueError(f"{where}: field '{k}' must be >= 1, got {out[k]}")
    for k in ["encoder_layers", "decoder_layers"]:
        if out[k] < 0:
            raise ValueError(f"{where}: field '{k}' must be >= 0, got {out[k]}")
    if out["d_model"] % out["n_heads"] != 0:
        raise ValueError(f"{where}: d_model ({out['d_model']}) must be divisible by n_heads ({out['n_heads']})")
    if out["d_model"] % 2 != 0:
        raise ValueError(f"{where}: d_model ({out['d_model']}) must be even (sinusoidal positions)")
    for k in ["pad_id", "bos_id", "eos_id"]:
        if not 0 <= out[k] < out["vocab_size"]:
            raise ValueError(f"{where}: field '{k}' ({out[k]}) must be in [0, vocab_size)")
    for k in ["dropout", "label_smoothing", "ln_eps"]:
        if not isinstance(out[k], (int, float)) or isinstance(out[k], bool):
            raise ValueError(f"{where}: field '{k}' must be a number, got {out[k]!r}")
        out[k] = float(out[k])
    if not 0.0 <= out["dropout"] < 1.0:
        raise ValueError(f"{where}: dropout must be in [0, 1), got {out['dropout']}")
    if not 0.0 <= out["label_smoothing"] <= 1.0:
        raise ValueError(f"{where}: label_smoothing must be in [0, 1], got {out['label_smoothing']}")
    if not out["ln_eps"] > 0.0:
        raise ValueError(f"{where}: ln_eps must be > 0, got {out['ln_eps']}")
    if out["activation"] not in ("relu", "gelu"):
        raise ValueError(f"{where}: activation must be 'relu' or 'gelu', got {out['activation']!r}")
    return out


# --------------------------------------------------------------------------------------
# Parameters: names, shapes, order (docs/model.md "Parameters and their order")

LINEAR_SUFFIXES = (".in_proj", ".out_proj", ".q_proj", ".kv_proj", ".fc1", ".fc2")


def param_specs(cfg):
    """[(name, shape)] in the documented order."""
    V, d, f = cfg["vocab_size"], cfg["d_model"], cfg["d_ff"]
    specs = [("embed.weight", (V, d))]

    def ln(p):
        specs.append((p + ".weight", (d,)))
        specs.append((p + ".bias", (d,)))

    def lin(p, out_f, in_f):
        specs.append((p + ".weight", (out_f, in_f)))
        specs.append((p + ".bias", (out_f,)))

    for i in range(cfg["encoder_layers"]):
        p = f"encoder.layers.{i}."
        ln(p + "ln1")
        lin(p + "self_attn.in_proj", 3 * d, d)
        lin(p + "self_attn.out_proj", d, d)
        ln(p + "ln2")
        lin(p + "ffn.fc1", f, d)
        lin(p + "ffn.fc2", d, f)
    ln("encoder.norm")
    for i in range(cfg["decoder_layers"]):
        p = f"decoder.layers.{i}."
        ln(p + "ln1")
        lin(p + "self_attn.in_proj", 3 * d, d)
        lin(p + "self_attn.out_proj", d, d)
        ln(p + "ln2")
        lin(p + "cross_attn.q_proj", d, d)
        lin(p + "cross_attn.kv_proj", 2 * d, d)
        lin(p + "cross_attn.out_proj", d, d)
        ln(p + "ln3")
        lin(p + "ffn.fc1", f, d)
        lin(p + "ffn.fc2", d, f)
    ln("decoder.norm")
    return specs


def is_linear_weight(name):
    return name.endswith(".weight") and name[: -len(".weight")].endswith(LINEAR_SUFFIXES)


def is_decayed(name):
    """Weight decay applies to Linear weights and the embedding only."""
    return name == "embed.weight" or is_linear_weight(name)


def init_params(cfg, generator, dtype=torch.float32):
    """Documented initialisation, drawn with torch's RNG (need not match the native RNG)."""
    d = cfg["d_model"]
    params = OrderedDict()
    for name, shape in param_specs(cfg):
        if name == "embed.weight":
            t = torch.randn(shape, generator=generator, dtype=torch.float64) * (d ** -0.5)
        elif is_linear_weight(name):
            out_f, in_f = shape
            if name.endswith((".in_proj.weight", ".kv_proj.weight")):
                out_f = d  # fused projections count as separate [d, d] blocks
            bound = math.sqrt(6.0 / (in_f + out_f))
            t = (torch.rand(shape, generator=generator, dtype=torch.float64) * 2.0 - 1.0) * bound
        elif name.endswith(".weight"):  # layer norm gain
            t = torch.ones(shape, dtype=torch.float64)
        else:  # every bias
            t = torch.zeros(shape, dtype=torch.float64)
        params[name] = t.to(dtype)
    return params


# --------------------------------------------------------------------------------------
# The model (functional, over an OrderedDict of parameters)


def sinusoidal_positions(max_len, d, dtype):
    """PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(...); computed in float64."""
    pos = torch.arange(max_len, dtype=torch.float64)[:, None]
    two_i = torch.arange(0, d, 2, dtype=torch.float64)[None, :]
    angle = pos / torch.pow(torch.tensor(10000.0, dtype=torch.float64), two_i / d)
    pe = torch.zeros(max_len, d, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(angle)
    pe[:, 1::2] = torch.cos(angle)
    return pe.to(dtype)


def layer_norm(x, P, prefix, eps):
    """LN(x) = (x - mean) / sqrt(var + eps) * g + b, biased variance over the last dim."""
    mean = x.mean(dim=-1, keepdim=True)
    xc = x - mean
    var = (xc * xc).mean(dim=-1, keepdim=True)
    return xc / torch.sqrt(var + eps) * P[prefix + ".weight"] + P[prefix + ".bias"]


def linear(x, W, b):
    return x @ W.t() + b  # x W^T + b, W stored [out, in]


def attention(q, k, v, visible, n_heads):
    """Multi-head attention core.

    q [B, Tq, d], k and v [B, Tk, d], visible [B, Tq, Tk] bool (True = key visible).
    Head h is columns h*dh .. h*dh+dh-1. Returns concatenated heads [B, Tq, d]
    (before out_proj). A query that sees no key gets all-zero probabilities, so its
    head outputs are 0.
    """
    B, Tq, d = q.shape
    Tk = k.shape[1]
    dh = d // n_heads
    qh = q.reshape(B, Tq, n_heads, dh).transpose(1, 2)  # [B, H, Tq, dh]
    kh = k.reshape(B, Tk, n_heads, dh).transpose(1, 2)
    vh = v.reshape(B, Tk, n_heads, dh).transpose(1, 2)
    scores = (qh @ kh.transpose(-1, -2)) / math.sqrt(dh)  # [B, H, Tq, Tk]
    vis = visible[:, None, :, :]
    any_vis = visible.any(dim=-1)[:, None, :, None]  # [B, 1, Tq, 1]
    scores = scores.masked_fill(~vis, float("-inf"))
    # rows with no visible key: softmax over zeros (finite), then zeroed below
    scores = torch.where(any_vis, scores, torch.zeros((), dtype=scores.dtype))
    probs = torch.softmax(scores, dim=-1) * any_vis.to(scores.dtype)
    out = probs @ vh  # [B, H, Tq, dh]
    return out.transpose(1, 2).reshape(B, Tq, d)


def _fused_linear(x, W, b):
    return F.linear(x, W, b)


def _fused_layer_norm(x, P, prefix, eps):
    return F.layer_norm(x, (x.shape[-1],), P[prefix + ".weight"], P[prefix + ".bias"], eps)


def self_attention(x, P, prefix, visible, n_heads, linear=linear):
    d = x.shape[-1]
    qkv = linear(x, P[prefix + ".in_proj.weight"], P[prefix + ".in_proj.bias"])
    q, k, v = qkv[..., :d], qkv[..., d : 2 * d], qkv[..., 2 * d :]
    o = attention(q, k, v, visible, n_heads)
    return linear(o, P[prefix + ".out_proj.weight"], P[prefix + ".out_proj.bias"])


def cross_attention(x, enc, P, prefix, visible, n_heads, linear=linear):
    d = x.shape[-1]
    q = linear(x, P[prefix + ".q_proj.weight"], P[prefix + ".q_proj.bias"])
    kv = linear(enc, P[prefix + ".kv_proj.weight"], P[prefix + ".kv_proj.bias"])
    k, v = kv[..., :d], kv[..., d:]
    o = attention(q, k, v, visible, n_heads)
    return linear(o, P[prefix + ".out_proj.weight"], P[prefix + ".out_proj.bias"])


def activation_fn(name):
    if name == "relu":
        return F.relu
    if name == "gelu":
        return lambda x: F.gelu(x)  # exact, erf form (approximate='none')
    raise ValueError(f"unknown activation {name!r}")


def make_masks(src_len, tgt_len, Ts, Tt):
    """Visibility masks (True = visible) from per-sentence lengths."""
    dev = src_len.device
    ks = torch.arange(Ts, device=dev)
    kt = torch.arange(Tt, device=dev)
    src_key_ok = ks[None, :] < src_len[:, None]  # [B, Ts]
    tgt_key_ok = kt[None, :] < tgt_len[:, None]  # [B, Tt]
    enc_vis = src_key_ok[:, None, :].expand(-1, Ts, -1)
    cross_vis = src_key_ok[:, None, :].expand(-1, Tt, -1)
    causal = kt[None, :] <= kt[:, None]  # [Tq, Tk]: j <= i
    dec_vis = causal[None, :, :] & tgt_key_ok[:, None, :]
    return enc_vis, cross_vis, dec_vis


class Model:
    """docs/model.md as a function of an OrderedDict of parameter tensors.

    fused=False (the reference) writes layer norm, Linear and the loss out by hand;
    fused=True uses torch's fused F.layer_norm, F.linear and F.cross_entropy for the
    same math (the benchmark path; selfcheck asserts both agree).
    """

    def __init__(self, cfg, params, fused=False):
        self.cfg = normalize_config(dict(cfg))
        self.fused = fused
        self._linear = _fused_linear if fused else linear
        self._layer_norm = _fused_layer_norm if fused else layer_norm
        self.params = params
        for name, shape in param_specs(self.cfg):
            if name not in params:
                raise ValueError(f"missing parameter '{name}'")
            if tuple(params[name].shape) != tuple(shape):
                raise ValueError(f"parameter '{name}' has shape {list(params[name].shape)}, expected {list(shape)}")
        self._pe = {}

    def pe(self, dtype, device):
        key = (dtype, device)
        if key not in self._pe:
            self._pe[key] = sinusoidal_positions(self.cfg["max_len"], self.cfg["d_model"], dtype).to(device)
        return self._pe[key]

    def embed(self, ids):
        E = self.params["embed.weight"]
        T = ids.shape[1]
        return E[ids] * math.sqrt(self.cfg["d_model"]) + self.pe(E.dtype, E.device)[:T]

    def loss(self, src, src_len, tgt_in, labels, tgt_len, train=False):
        """Mean label-smoothed cross-entropy over the non-pad label positions.

        src [B, Ts], tgt_in and labels [B, Tt] (right-padded), src_len and tgt_len [B]
        (tgt_len counts BOS + y, equal to the number of labels incl. EOS).
        Returns (loss, number of label tokens).
        """
        cfg, P = self.cfg, self.params
        H, eps_ln = cfg["n_heads"], cfg["ln_eps"]
        linear, layer_norm = self._linear, self._layer_norm
        p = cfg["dropout"] if train else 0.0
        act = activation_fn(cfg["activation"])

        def drop(x):
            return F.dropout(x, p=p, training=True) if p > 0.0 else x

        def ffn(x, pre):
            h = drop(act(linear(x, P[pre + ".fc1.weight"], P[pre + ".fc1.bias"])))
            return linear(h, P[pre + ".fc2.weight"], P[pre + ".fc2.bias"])

        Ts, Tt = src.shape[1], tgt_in.shape[1]
        enc_vis, cross_vis, dec_vis = make_masks(src_len, tgt_len, Ts, Tt)

        x = drop(self.embed(src))
        for i in range(cfg["encoder_layers"]):
            pre = f"encoder.layers.{i}."
            h = x + drop(self_attention(layer_norm(x, P, pre + "ln1", eps_ln), P, pre + "self_attn", enc_vis, H, linear))
            x = h + drop(ffn(layer_norm(h, P, pre + "ln2", eps_ln), pre + "ffn"))
        enc = layer_norm(x, P, "encoder.norm", eps_ln)

        y = drop(self.embed(tgt_in))
        for i in range(cfg["decoder_layers"]):
            pre = f"decoder.layers.{i}."
            h1 = y + drop(self_attention(layer_norm(y, P, pre + "ln1", eps_ln), P, pre + "self_attn", dec_vis, H, linear))
            h2 = h1 + drop(cross_attention(layer_norm(h1, P, pre + "ln2", eps_ln), enc, P, pre + "cross_attn", cross_vis, H,
                                           linear))
            y = h2 + drop(ffn(layer_norm(h2, P, pre + "ln3", eps_ln), pre + "ffn"))
        dec = layer_norm(y, P, "decoder.norm", eps_ln)

        logits = dec @ P["embed.weight"].t()  # no output bias
        label_ok = torch.arange(Tt, device=src.device)[None, :] < tgt_len[:, None]
        n = int(label_ok.sum().item())
        if self.fused:
            V = logits.shape[-1]
            loss_sum = F.cross_entropy(logits.reshape(-1, V), labels.masked_fill(~label_ok, -100).reshape(-1),
                                       ignore_index=-100, label_smoothing=cfg["label_smoothing"], reduction="sum")
        else:
            loss_sum = smoothed_xent_sum(logits, labels, label_ok, cfg["label_smoothing"])
        return loss_sum / max(n, 1), n


def smoothed_xent_sum(logits, labels, keep, eps):
    """sum over kept positions of (1-eps)(-log p[label]) + eps * mean_v(-log p[v])."""
    logp = torch.log_softmax(logits, dim=-1)
    nll = -logp.gather(-1, labels.unsqueeze(-1)).squeeze(-1)
    smooth = -logp.mean(dim=-1)
    per_tok = (1.0 - eps) * nll + eps * smooth
    return (per_tok * keep.to(per_tok.dtype)).sum()


def make_batch(src_lists, tgt_lists, cfg, device="cpu"):
    """Pairs -> padded tensors: src as given, tgt_in = [BOS]+y, labels = y+[EOS]."""
    if len(src_lists) != len(tgt_lists):
        raise ValueError(f"batch: {len(src_lists)} sources but {len(tgt_lists)} targets")
    if len(src_lists) == 0:
        raise ValueError("batch: no pairs")
    V, pad, bos, eos, L = cfg["vocab_size"], cfg["pad_id"], cfg["bos_id"], cfg["eos_id"], cfg["max_len"]
    for side, lists, extra in (("src", src_lists, 0), ("tgt", tgt_lists, 1)):
        for i, s in enumerate(lists):
            if not isinstance(s, list):
                raise ValueError(f"batch: {side}[{i}] must be a list of ids")
            for j, t in enumerate(s):
                if not isinstance(t, int) or isinstance(t, bool) or not 0 <= t < V:
                    raise ValueError(f"batch: {side}[{i}][{j}] = {t!r} is not an id in [0, {V})")
            if len(s) + extra > L:
                raise ValueError(f"batch: {side}[{i}] has {len(s) + extra} positions, max_len is {L}")
    B = len(src_lists)
    Ts = max(1, max(len(s) for s in src_lists))
    Tt = max(len(y) for y in tgt_lists) + 1
    src = torch.full((B, Ts), pad, dtype=torch.long)
    tgt_in = torch.full((B, Tt), pad, dtype=torch.long)
    labels = torch.full((B, Tt), pad, dtype=torch.long)
    for i, (s, y) in enumerate(zip(src_lists, tgt_lists)):
        if s:
            src[i, : len(s)] = torch.tensor(s, dtype=torch.long)
        tgt_in[i, : len(y) + 1] = torch.tensor([bos] + y, dtype=torch.long)
        labels[i, : len(y) + 1] = torch.tensor(y + [eos], dtype=torch.long)
    src_len = torch.tensor([len(s) for s in src_lists], dtype=torch.long)
    tgt_len = torch.tensor([len(y) + 1 for y in tgt_lists], dtype=torch.long)
    return tuple(t.to(device) for t in (src, src_len, tgt_in, labels, tgt_len))


# --------------------------------------------------------------------------------------
# safetensors (our own minimal reader/writer)

_ST_DTYPES = {
    "F64": (torch.float64, 8),
    "F32": (torch.float32, 4),
    "F16": (torch.float16, 2),
    "BF16": (torch.bfloat16, 2),
    "I64": (torch.int64, 8),
    "I32": (torch.int32, 4),
    "I16": (torch.int16, 2),
    "I8": (torch.int8, 1),
    "U8": (torch.uint8, 1),
}
_ST_NAMES = {v[0]: k for k, v in _ST_DTYPES.items()}


def save_safetensors(path, tensors, metadata=None):
    """Writes tensors (ordered) as safetensors, little-endian, atomically (tmp + rename)."""
    if sys.byteorder != "little":
        raise RuntimeError("safetensors writer supports little-endian hosts only")
    header = OrderedDict()
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blobs = []
    offset = 0
    for name, t in tensors.items():
        if name == "__metadata__":
            raise ValueError("'__metadata__' is not a tensor name")
        t = t.detach().cpu().contiguous()
        if t.dtype not in _ST_NAMES:
            raise ValueError(f"safetensors: unsupported dtype {t.dtype} for '{name}'")
        data = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": _ST_NAMES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * ((8 - len(hjson) % 8) % 8)  # pad so the data starts 8-aligned
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".safetensors", dir=d)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(struct.pack("<Q", len(hjson)))
            f.write(hjson)
            for b in blobs:
                f.write(b)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_safetensors(path):
    """Returns (OrderedDict name -> tensor, metadata dict or None)."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: too short for a safetensors file")
    (hlen,) = struct.unpack("<Q", raw[:8])
    if 8 + hlen > len(raw):
        raise ValueError(f"{path}: header length {hlen} exceeds the file size {len(raw)}")
    try:
        header = json.loads(raw[8 : 8 + hlen].decode("utf-8"), object_pairs_hook=OrderedDict)
    except Exception as e:
        raise ValueError(f"{path}: bad JSON header: {e}")
    data = raw[8 + hlen :]
    meta = header.pop("__metadata__", None)
    out = OrderedDict()
    for name, info in header.items():
        dt = info.get("dtype")
        if dt not in _ST_DTYPES:
            raise ValueError(f"{path}: tensor '{name}': unsupported dtype {dt!r}")
        tdtype, size = _ST_DTYPES[dt]
        shape = [int(s) for s in info["shape"]]
        b, e = (int(x) for x in info["data_offsets"])
        numel = 1
        for s in shape:
            numel *= s
        if not 0 <= b <= e <= len(data) or e - b != numel * size:
            raise ValueError(f"{path}: tensor '{name}': bad data_offsets {[b, e]} for {dt}{shape}")
        buf = bytearray(data[b:e])
        t = torch.frombuffer(buf, dtype=torch.uint8) if buf else torch.zeros(0, dtype=torch.uint8)
        out[name] = t.view(tdtype).reshape(shape).clone()
    return out, meta


# --------------------------------------------------------------------------------------
# Model directories


def load_model_dir(model_dir, dtype=torch.float32):
    cpath = os.path.join(model_dir, "config.json")
    with open(cpath) as f:
        cfg = normalize_config(json.load(f), where=cpath)
    spath = os.path.join(model_dir, "model.safetensors")
    tensors, _ = load_safetensors(spath)
    params = OrderedDict()
    for name, shape in param_specs(cfg):
        if name not in tensors:
            raise ValueError(f"{spath}: missing tensor '{name}'")
        t = tensors.pop(name)
        if tuple(t.shape) != tuple(shape):
            raise ValueError(f"{spath}: tensor '{name}' has shape {list(t.shape)}, expected {list(shape)}")
        if not t.is_floating_point():
            raise ValueError(f"{spath}: tensor '{name}' is not floating point")
        params[name] = t.to(dtype)
    if tensors:
        print(f"torch_model: {spath}: ignoring unknown tensors {list(tensors)[:5]}", file=sys.stderr)
    return cfg, params


def save_model_dir(model_dir, cfg, params):
    os.makedirs(model_dir, exist_ok=True)
    save_safetensors(os.path.join(model_dir, "model.safetensors"),
                     OrderedDict((k, v.to(torch.float32)) for k, v in params.items()),
                     metadata={"format": "regurgitate", "writer": "scripts/torch_model.py"})
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=model_dir)
    with os.fdopen(fd, "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    os.replace(tmp, os.path.join(model_dir, "config.json"))


def compute_grads(cfg, params, src_lists, tgt_lists, dtype):
    P = OrderedDict((k, v.detach().to(dtype).clone().requires_grad_(True)) for k, v in params.items())
    model = Model(cfg, P)
    batch = make_batch(src_lists, tgt_lists, model.cfg)
    loss, ntok = model.loss(*batch, train=False)
    grads = torch.autograd.grad(loss, list(P.values()), allow_unused=True)
    out = OrderedDict()
    for (name, p), g in zip(P.items(), grads):
        out[name] = torch.zeros_like(p) if g is None else g
    return loss.detach(), ntok, out


# --------------------------------------------------------------------------------------
# Commands


def cmd_grads(args):
    dtype = torch.float64 if args.double else torch.float32
    torch.set_num_threads(max(1, args.threads))
    cfg, params = load_model_dir(args.model, dtype)
    with open(args.batch) as f:
        batch = json.load(f)
    if not isinstance(batch, dict) or "src" not in batch or "tgt" not in batch:
        raise ValueError(f"{args.batch}: expected {{\"src\": [[ids]], \"tgt\": [[ids]]}}")
    loss, ntok, grads = compute_grads(cfg, params, batch["src"], batch["tgt"], dtype)
    out_dtype = {"f32": torch.float32, "f64": torch.float64}[args.out_dtype] if args.out_dtype else dtype
    tensors = OrderedDict([("loss", loss.reshape(1).to(out_dtype))])
    for name, g in grads.items():
        tensors[name] = g.to(out_dtype)
    save_safetensors(args.out, tensors, metadata={"tokens": str(ntok), "compute_dtype": str(dtype).replace("torch.", "")})
    print(json.dumps({"loss": float(loss), "tokens": ntok, "dtype": str(dtype).replace("torch.", "")}))


def cmd_init(args):
    with open(args.config) as f:
        cfg = normalize_config(json.load(f), where=args.config)
    g = torch.Generator().manual_seed(args.seed)
    params = init_params(cfg, g)
    save_model_dir(args.out, cfg, params)
    n = sum(p.numel() for p in params.values())
    print(json.dumps({"out": args.out, "params": n}))


BENCH_CONFIG = OrderedDict(
    [("vocab_size", 8000), ("d_model", 256), ("n_heads", 4), ("d_ff", 1024), ("encoder_layers", 3),
     ("decoder_layers", 3), ("max_len", 64), ("dropout", 0.1), ("label_smoothing", 0.1),
     ("activation", "relu"), ("ln_eps", 1e-5), ("pad_id", 0), ("bos_id", 1), ("eos_id", 2)]
)


def cmd_train_bench(args):
    device = torch.device(args.device)
    if device.type == "cpu":
        torch.set_num_threads(args.threads)
    cfg = normalize_config(dict(BENCH_CONFIG))
    B, S, T = args.batch, args.src_len, args.tgt_len  # T = labels incl. EOS
    g = torch.Generator().manual_seed(args.seed)
    torch.manual_seed(args.seed)  # dropout masks
    params = init_params(cfg, g)
    P = OrderedDict((k, v.to(device).requires_grad_(True)) for k, v in params.items())
    model = Model(cfg, P, fused=not args.explicit)
    decay = [p for n, p in P.items() if is_decayed(n)]
    no_decay = [p for n, p in P.items() if not is_decayed(n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.98), eps=1e-9)

    def batch():
        src = torch.randint(3, cfg["vocab_size"], (B, S), generator=g)
        y = torch.randint(3, cfg["vocab_size"], (B, T - 1), generator=g)
        tgt_in = torch.cat([torch.full((B, 1), cfg["bos_id"]), y], dim=1)
        labels = torch.cat([y, torch.full((B, 1), cfg["eos_id"])], dim=1)
        src_len = torch.full((B,), S)
        tgt_len = torch.full((B,), T)
        return tuple(t.to(device) for t in (src, src_len, tgt_in, labels, tgt_len))

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize()

    def step(b):
        opt.zero_grad(set_to_none=True)
        loss, _ = model.loss(*b, train=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(P.values()), args.clip)
        opt.step()
        return loss

    batches = [batch() for _ in range(args.warmup + args.steps)]
    for b in batches[: args.warmup]:
        step(b)
    sync()
    times = []
    loss = None
    for b in batches[args.warmup :]:
        t0 = time.perf_counter()
        loss = step(b)
        sync()
        times.append(time.perf_counter() - t0)
    step_s = sum(times) / len(times)
    tokens = B * (S + T)
    rec = OrderedDict(
        [("impl", "pytorch"), ("device", device.type), ("torch", torch.__version__),
         ("threads", torch.get_num_threads()), ("mode", "eager-explicit" if args.explicit else "eager"), ("tokens_per_s", round(tokens / step_s, 1)),
         ("step_s", round(step_s, 4)), ("steps", len(times)), ("warmup", args.warmup),
         ("tokens_per_step", tokens), ("batch", B), ("src_len", S), ("tgt_len", T),
         ("step_s_min", round(min(times), 4)), ("last_loss", round(float(loss), 4))]
    )
    env = {k: os.environ[k] for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                       "OMP_WAIT_POLICY") if k in os.environ}
    if env:
        rec["env"] = env
    if device.type == "cuda":
        rec["gpu"] = torch.cuda.get_device_name(device)
    print(json.dumps(rec), flush=True)
    if hasattr(torch, "compile") and not args.no_compile:
        print("torch_model: torch.compile exists but is not wired into train-bench", file=sys.stderr)


# --------------------------------------------------------------------------------------
# Self-check (independent of the native engine)

TINY = OrderedDict(
    [("vocab_size", 13), ("d_model", 8), ("n_heads", 2), ("d_ff", 12), ("encoder_layers", 2),
     ("decoder_layers", 2), ("max_len", 12), ("dropout", 0.1), ("label_smoothing", 0.1),
     ("activation", "gelu"), ("ln_eps", 1e-5), ("pad_id", 0), ("bos_id", 1), ("eos_id", 2)]
)


def _tiny_batch(g, V, lens):
    src = [torch.randint(3, V, (a,), generator=g).tolist() for a, _ in lens]
    tgt = [torch.randint(3, V, (b,), generator=g).tolist() for _, b in lens]
    return src, tgt


def _randomize(params, g, scale=0.3):
    """Perturbs every parameter (so that biases and norms are not trivially 0/1)."""
    return OrderedDict((k, v + scale * torch.randn(v.shape, generator=g, dtype=v.dtype)) for k, v in params.items())


def selfcheck_gradcheck(report):
    for act in ("gelu", "relu"):
        cfg = normalize_config(dict(TINY, activation=act))
        g = torch.Generator().manual_seed(7)
        params = _randomize(init_params(cfg, g, torch.float64), g)
        src, tgt = _tiny_batch(g, cfg["vocab_size"], [(5, 4), (2, 6), (7, 1), (3, 0)])
        batch = make_batch(src, tgt, cfg)
        names = list(params)
        inputs = tuple(params[n].clone().requires_grad_(True) for n in names)

        def f(*xs):
            return Model(cfg, OrderedDict(zip(names, xs))).loss(*batch)[0]

        ok = torch.autograd.gradcheck(f, inputs, eps=1e-6, atol=1e-6, rtol=1e-4, raise_exception=False)
        report(f"gradcheck float64 of the full loss ({act}, {sum(p.numel() for p in inputs)} parameters)", ok)


def naive_attention(q, k, v, visible, H):
    """Loop over batch, head and query with F.softmax on the visible keys only."""
    B, Tq, d = q.shape
    dh = d // H
    out = torch.zeros_like(q)
    for b in range(B):
        for h in range(H):
            cols = slice(h * dh, (h + 1) * dh)
            for i in range(Tq):
                keys = visible[b, i].nonzero().flatten()
                if len(keys) == 0:
                    continue
                s = torch.stack([q[b, i, cols] @ k[b, j, cols] for j in keys]) / math.sqrt(dh)
                p = F.softmax(s, dim=0)
                out[b, i, cols] = sum(p[n] * v[b, j, cols] for n, j in enumerate(keys))
    return out


def selfcheck_attention(report):
    g = torch.Generator().manual_seed(11)
    B, H, d = 3, 4, 16
    src_len = torch.tensor([5, 2, 0])  # the last sentence has an empty source
    tgt_len = torch.tensor([3, 6, 1])
    Ts, Tt = 5, 6
    enc_vis, cross_vis, dec_vis = make_masks(src_len, tgt_len, Ts, Tt)
    worst = 0.0
    for vis, Tq, Tk in ((enc_vis, Ts, Ts), (cross_vis, Tt, Ts), (dec_vis, Tt, Tt)):
        q = torch.randn(B, Tq, d, generator=g, dtype=torch.float64)
        k = torch.randn(B, Tk, d, generator=g, dtype=torch.float64)
        v = torch.randn(B, Tk, d, generator=g, dtype=torch.float64)
        a = attention(q, k, v, vis, H)
        worst = max(worst, (a - naive_attention(q, k, v, vis, H)).abs().max().item())
    report(f"attention + masks vs naive per-query F.softmax loop (max abs err {worst:.1e})", worst < 1e-12)

    # spot-check the documented mask rules themselves
    ok = bool(enc_vis[1, 4, 1]) and not bool(enc_vis[1, 0, 2]) and not bool(enc_vis[2].any())
    ok = ok and bool(dec_vis[1, 3, 3]) and not bool(dec_vis[1, 3, 4]) and not bool(dec_vis[0, 5, 3]) and bool(dec_vis[0, 5, 2])
    report("mask rules (key j < src_len; decoder j <= i and j < tgt_len)", ok)

    # fused in_proj self-attention vs torch.nn.functional.multi_head_attention_forward
    x = torch.randn(B, Ts, d, generator=g, dtype=torch.float64)
    P = {"sa.in_proj.weight": torch.randn(3 * d, d, generator=g, dtype=torch.float64),
         "sa.in_proj.bias": torch.randn(3 * d, generator=g, dtype=torch.float64),
         "sa.out_proj.weight": torch.randn(d, d, generator=g, dtype=torch.float64),
         "sa.out_proj.bias": torch.randn(d, generator=g, dtype=torch.float64)}
    sl = torch.tensor([5, 2, 3])
    vis = make_masks(sl, sl, Ts, Ts)[0]
    ours = self_attention(x, P, "sa", vis, H)
    ref, _ = F.multi_head_attention_forward(
        x.transpose(0, 1), x.transpose(0, 1), x.transpose(0, 1), d, H, P["sa.in_proj.weight"], P["sa.in_proj.bias"],
        None, None, False, 0.0, P["sa.out_proj.weight"], P["sa.out_proj.bias"], training=False,
        key_padding_mask=~(torch.arange(Ts)[None, :] < sl[:, None]), need_weights=False)
    err = (ours - ref.transpose(0, 1)).abs().max().item()
    report(f"self-attention vs F.multi_head_attention_forward (max abs err {err:.1e})", err < 1e-12)


def selfcheck_layers_vs_nn(report):
    """Whole encoder-decoder forward vs torch.nn.TransformerEncoderLayer/DecoderLayer (norm_first)."""
    for act in ("relu", "gelu"):
        cfg = normalize_config(dict(TINY, activation=act, d_model=16, n_heads=4, d_ff=24, max_len=16))
        g = torch.Generator().manual_seed(5)
        P = _randomize(init_params(cfg, g, torch.float64), g)
        d, H = cfg["d_model"], cfg["n_heads"]
        enc_layers, dec_layers = [], []
        with torch.no_grad():
            for i in range(cfg["encoder_layers"]):
                p = f"encoder.layers.{i}."
                m = torch.nn.TransformerEncoderLayer(d, H, cfg["d_ff"], dropout=0.0, activation=act,
                                                     layer_norm_eps=cfg["ln_eps"], batch_first=True,
                                                     norm_first=True).double()
                m.self_attn.in_proj_weight.copy_(P[p + "self_attn.in_proj.weight"])
                m.self_attn.in_proj_bias.copy_(P[p + "self_attn.in_proj.bias"])
                m.self_attn.out_proj.weight.copy_(P[p + "self_attn.out_proj.weight"])
                m.self_attn.out_proj.bias.copy_(P[p + "self_attn.out_proj.bias"])
                for a, b in (("norm1", "ln1"), ("norm2", "ln2")):
                    getattr(m, a).weight.copy_(P[p + b + ".weight"])
                    getattr(m, a).bias.copy_(P[p + b + ".bias"])
                for a, b in (("linear1", "ffn.fc1"), ("linear2", "ffn.fc2")):
                    getattr(m, a).weight.copy_(P[p + b + ".weight"])
                    getattr(m, a).bias.copy_(P[p + b + ".bias"])
                enc_layers.append(m.eval())
            for i in range(cfg["decoder_layers"]):
                p = f"decoder.layers.{i}."
                m = torch.nn.TransformerDecoderLayer(d, H, cfg["d_ff"], dropout=0.0, activation=act,
                                                     layer_norm_eps=cfg["ln_eps"], batch_first=True,
                                                     norm_first=True).double()
                m.self_attn.in_proj_weight.copy_(P[p + "self_attn.in_proj.weight"])
                m.self_attn.in_proj_bias.copy_(P[p + "self_attn.in_proj.bias"])
                m.self_attn.out_proj.weight.copy_(P[p + "self_attn.out_proj.weight"])
                m.self_attn.out_proj.bias.copy_(P[p + "self_attn.out_proj.bias"])
                m.multihead_attn.in_proj_weight.copy_(torch.cat([P[p + "cross_attn.q_proj.weight"],
                                                                 P[p + "cross_attn.kv_proj.weight"]]))
                m.multihead_attn.in_proj_bias.copy_(torch.cat([P[p + "cross_attn.q_proj.bias"],
                                                               P[p + "cross_attn.kv_proj.bias"]]))
                m.multihead_attn.out_proj.weight.copy_(P[p + "cross_attn.out_proj.weight"])
                m.multihead_attn.out_proj.bias.copy_(P[p + "cross_attn.out_proj.bias"])
                for a, b in (("norm1", "ln1"), ("norm2", "ln2"), ("norm3", "ln3")):
                    getattr(m, a).weight.copy_(P[p + b + ".weight"])
                    getattr(m, a).bias.copy_(P[p + b + ".bias"])
                for a, b in (("linear1", "ffn.fc1"), ("linear2", "ffn.fc2")):
                    getattr(m, a).weight.copy_(P[p + b + ".weight"])
                    getattr(m, a).bias.copy_(P[p + b + ".bias"])
                dec_layers.append(m.eval())
        src, tgt = _tiny_batch(g, cfg["vocab_size"], [(6, 5), (3, 7), (1, 2), (4, 0)])
        srcT, src_len, tgt_in, labels, tgt_len = make_batch(src, tgt, cfg)
        Ts, Tt = srcT.shape[1], tgt_in.shape[1]
        src_pad = ~(torch.arange(Ts)[None, :] < src_len[:, None])
        tgt_pad = ~(torch.arange(Tt)[None, :] < tgt_len[:, None])
        causal = torch.triu(torch.ones(Tt, Tt, dtype=torch.bool), diagonal=1)  # True = masked
        pe = sinusoidal_positions(cfg["max_len"], d, torch.float64)
        E = P["embed.weight"]

        def nn_ln(x, pre):
            return F.layer_norm(x, (d,), P[pre + ".weight"], P[pre + ".bias"], cfg["ln_eps"])

        x = F.embedding(srcT, E) * math.sqrt(d) + pe[:Ts]
        for m in enc_layers:
            x = m(x, src_key_padding_mask=src_pad)
        enc = nn_ln(x, "encoder.norm")
        y = F.embedding(tgt_in, E) * math.sqrt(d) + pe[:Tt]
        for m in dec_layers:
            y = m(y, enc, tgt_mask=causal, tgt_key_padding_mask=tgt_pad, memory_key_padding_mask=src_pad)
        logits = F.linear(nn_ln(y, "decoder.norm"), E)
        keep = ~tgt_pad
        ref = F.cross_entropy(logits[keep], labels[keep], label_smoothing=cfg["label_smoothing"])
        ours = Model(cfg, P).loss(srcT, src_len, tgt_in, labels, tgt_len)[0]
        err = abs(ours.item() - ref.item())
        report(f"full loss vs nn.TransformerEncoder/DecoderLayer(norm_first) + F.layer_norm ({act}, abs err {err:.1e})",
               err < 1e-12)


def selfcheck_padding(report):
    """The batched loss equals the token-weighted mean of unpadded single-pair losses."""
    cfg = normalize_config(dict(TINY))
    g = torch.Generator().manual_seed(3)
    P = _randomize(init_params(cfg, g, torch.float64), g)
    src, tgt = _tiny_batch(g, cfg["vocab_size"], [(6, 5), (1, 9), (4, 0), (0, 3), (9, 2)])
    model = Model(cfg, P)
    batched = model.loss(*make_batch(src, tgt, cfg))[0]
    total, n = 0.0, 0
    for s, y in zip(src, tgt):
        l, k = model.loss(*make_batch([s], [y], cfg))
        total += l.item() * k
        n += k
    err = abs(batched.item() - total / n)
    report(f"padding leaks nothing: batched loss = weighted single-pair losses (abs err {err:.1e}, incl. empty source)",
           err < 1e-12 and math.isfinite(batched.item()))


def selfcheck_loss(report):
    g = torch.Generator().manual_seed(9)
    worst = 0.0
    for eps in (0.0, 0.1, 0.37):
        logits = torch.randn(4, 7, 11, generator=g, dtype=torch.float64)
        labels = torch.randint(3, 11, (4, 7), generator=g)
        lens = torch.tensor([7, 3, 1, 5])
        keep = torch.arange(7)[None, :] < lens[:, None]
        labels = labels.masked_fill(~keep, 0)
        ours = smoothed_xent_sum(logits, labels, keep, eps) / keep.sum()
        ref = F.cross_entropy(logits.reshape(-1, 11), labels.reshape(-1), ignore_index=0, label_smoothing=eps)
        worst = max(worst, abs(ours.item() - ref.item()))
    report(f"label-smoothed CE == F.cross_entropy(label_smoothing, ignore_index=pad) (abs err {worst:.1e})",
           worst < 1e-12)


def selfcheck_misc(report):
    # positions
    pe = sinusoidal_positions(10, 6, torch.float64)
    ok = abs(pe[3, 4].item() - math.sin(3 / 10000 ** (4 / 6))) < 1e-15 and abs(pe[7, 1].item() - math.cos(7.0)) < 1e-15
    report("sinusoidal positions follow the documented formula", ok)
    # init statistics on a larger config
    cfg = normalize_config(dict(TINY, vocab_size=4000, d_model=64, d_ff=256))
    P = init_params(cfg, torch.Generator().manual_seed(1))
    e_std = P["embed.weight"].std().item()
    ip = P["encoder.layers.0.self_attn.in_proj.weight"].abs().max().item()
    kv = P["decoder.layers.0.cross_attn.kv_proj.weight"].abs().max().item()
    fc1 = P["encoder.layers.0.ffn.fc1.weight"].abs().max().item()
    ok = (abs(e_std - 64 ** -0.5) < 0.01 * 64 ** -0.5 and math.sqrt(6 / 128) * 0.98 < ip <= math.sqrt(6 / 128)
          and math.sqrt(6 / 128) * 0.98 < kv <= math.sqrt(6 / 128)
          and math.sqrt(6 / 320) * 0.98 < fc1 <= math.sqrt(6 / 320)
          and P["encoder.norm.weight"].eq(1).all().item() and P["decoder.layers.1.ffn.fc2.bias"].eq(0).all().item())
    report("initialisation: embed std d^-1/2, Xavier bounds (fused blocks as [d, d]), ones/zeros", ok)
    # parameter order and count
    specs = param_specs(cfg)
    ok = specs[0][0] == "embed.weight" and specs[-1][0] == "decoder.norm.bias" and len(specs) == 1 + 2 * 12 + 2 + 2 * 20 + 2
    report(f"parameter list: {len(specs)} tensors in documented order", ok)
    # safetensors round trip
    with tempfile.TemporaryDirectory() as td:
        path = os.path.join(td, "t.safetensors")
        ts = OrderedDict([("a", torch.randn(3, 5)), ("b", torch.arange(7, dtype=torch.int32)),
                          ("c", torch.randn(2, dtype=torch.float64)), ("empty", torch.zeros(0, 4))])
        save_safetensors(path, ts, metadata={"k": "v"})
        back, meta = load_safetensors(path)
        with open(path, "rb") as f:
            hlen = struct.unpack("<Q", f.read(8))[0]
        ok = (meta == {"k": "v"} and list(back) == list(ts) and hlen % 8 == 0
              and all(back[k].dtype == ts[k].dtype and torch.equal(back[k], ts[k]) for k in ts))
    report("safetensors writer/reader round trip (F32, I32, F64, empty, __metadata__)", ok)
    # fp32 vs fp64 gradients agree (the fp32 path is sane)
    cfg = normalize_config(dict(TINY))
    g = torch.Generator().manual_seed(2)
    P = _randomize(init_params(cfg, g), g, 0.1)
    src, tgt = _tiny_batch(g, cfg["vocab_size"], [(5, 4), (2, 6)])
    l32, _, g32 = compute_grads(cfg, P, src, tgt, torch.float32)
    l64, _, g64 = compute_grads(cfg, P, src, tgt, torch.float64)
    rel = max((g32[k].double() - g64[k]).abs().max().item() / max(g64[k].abs().max().item(), 1e-30) for k in g64)
    ok = abs(l32.item() - l64.item()) / abs(l64.item()) < 1e-6 and rel < 1e-4
    report(f"float32 vs float64 gradients (worst tensor rel err {rel:.1e})", ok)


def selfcheck_fused(report):
    """The benchmark path (fused torch ops) computes the same loss and gradients."""
    cfg = normalize_config(dict(TINY))
    g = torch.Generator().manual_seed(4)
    P0 = _randomize(init_params(cfg, g, torch.float64), g)
    src, tgt = _tiny_batch(g, cfg["vocab_size"], [(6, 5), (2, 7), (4, 0)])
    batch = make_batch(src, tgt, cfg)
    res = []
    for fused in (False, True):
        P = OrderedDict((k, v.clone().requires_grad_(True)) for k, v in P0.items())
        loss = Model(cfg, P, fused=fused).loss(*batch)[0]
        res.append((loss.item(), torch.autograd.grad(loss, list(P.values()))))
    err = abs(res[0][0] - res[1][0])
    gerr = max((a - b).abs().max().item() for a, b in zip(res[0][1], res[1][1]))
    report(f"fused benchmark path == reference path (loss err {err:.1e}, grad err {gerr:.1e})", err < 1e-12 and gerr < 1e-12)


def cmd_selfcheck(args):
    torch.set_num_threads(max(1, args.threads))
    failures = []

    def report(what, ok):
        print(("ok    " if ok else "FAIL  ") + what, flush=True)
        if not ok:
            failures.append(what)

    t0 = time.time()
    selfcheck_loss(report)
    selfcheck_attention(report)
    selfcheck_misc(report)
    selfcheck_padding(report)
    selfcheck_fused(report)
    selfcheck_layers_vs_nn(report)
    selfcheck_gradcheck(report)
    print(f"{'FAILED' if failures else 'passed'}: {len(failures)} failure(s), {time.time() - t0:.1f}s", flush=True)
    return 1 if failures else 0


def main(argv=None):
    ap = argparse.ArgumentParser(prog="torch_model.py", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("grads", help="loss and gradients of one batch (dropout off)")
    p.add_argument("--model", required=True, help="directory with config.json and model.safetensors")
    p.add_argument("--batch", required=True, help='JSON {"src": [[ids]], "tgt": [[ids]]}')
    p.add_argument("--out", required=True, help="output .safetensors")
    p.add_argument("--double", action="store_true", help="compute in float64")
    p.add_argument("--out-dtype", choices=["f32", "f64"], default=None,
                   help="dtype of the written tensors (default: the compute dtype)")
    p.add_argument("--threads", type=int, default=1)

    p = sub.add_parser("init", help="write a randomly initialised model")
    p.add_argument("--config", required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--out", required=True)

    p = sub.add_parser("train-bench", help="training throughput of the reference benchmark model")
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cpu")
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--src-len", type=int, default=32)
    p.add_argument("--tgt-len", type=int, default=32, help="labels per sentence incl. EOS")
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--clip", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--no-compile", action="store_true")
    p.add_argument("--explicit", action="store_true",
                   help="use the hand-written reference ops instead of F.layer_norm/F.linear/F.cross_entropy")

    p = sub.add_parser("selfcheck", help="check this implementation against torch building blocks")
    p.add_argument("--threads", type=int, default=1)

    args = ap.parse_args(argv)
    try:
        if args.cmd == "grads":
            return cmd_grads(args) or 0
        if args.cmd == "init":
            return cmd_init(args) or 0
        if args.cmd == "train-bench":
            if args.steps < 1 or args.warmup < 0:
                raise ValueError("--steps must be >= 1 and --warmup >= 0")
            return cmd_train_bench(args) or 0
        if args.cmd == "selfcheck":
            return cmd_selfcheck(args)
    except (ValueError, OSError) as e:
        print(f"torch_model.py {args.cmd}: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
