"""PyTorch twin of `deno task bench`'s reference step (bench/reference_step.ts, issue 14).

SimCLR on 2 x `batch` fixed random images, both views forwarded as one batch of 2 x batch
(batch-norm statistics over all of it, as ours), NT-Xent at temperature 0.5 (cosine
similarities, the anchor's own entry dropped, mean over the 2 x batch anchors), Adam (lr 1e-3,
betas 0.9/0.999, eps 1e-7: tfjs's float32 epsilon), torch threads 2. Encoders (`--encoder`):
- `reference` (28x28x1): conv3x3(32)+BN+ReLU, three residual stages of one basic block each
  (widths 32, 64, 128; stride 2 with a 1x1 projection shortcut at stages 2 and 3), global
  average pool, head dense(128, no bias)+BN+ReLU+dense(64).
- `resnet18-small` (32x32x3): ResNet-18 with the small-image stem (conv3x3(64)+BN+ReLU, no max
  pool), four stages of two basic blocks (64, 128, 256, 512; stride 2 with 1x1 projection
  shortcuts from stage 2 on, symmetric padding as @selfsup/encoders' resNet), head 512-512-128.
- `train-default` (28x28x1): the same ResNet-18 at width 0.25 (16, 32, 64, 128), head
  128-128-128: `deno task train`'s default model.

Modes, each a separate copy of the same seeded model and optimizer:
- `float32`: NCHW tensors, float32.
- `channels-last`: the model and the views in `torch.channels_last`, float32.
- `bf16`: channels-last with `torch.autocast("cpu", dtype=torch.bfloat16)` around the encoder
  and head (float32 master weights; the loss on the float32 cast of the projections).
  Skipped, saying why, where the CPU lacks AVX-512 BF16 and AMX (autocast would emulate
  bfloat16 and time the emulation).

Differences from bench/reference_step.ts that cannot be avoided (none changes a shape, a
parameter count or the FLOPs):
- Padding of the reference encoder's stride-2 3x3 convolutions: tfjs's "same" pads 28 -> 14
  and 14 -> 7 by one row/column at the bottom/right only; PyTorch's `padding=1` pads one on
  every side (the same output shapes; windows shifted by one pixel). Matching it needs an extra
  pad op per convolution that nobody writing PyTorch would add. (The ResNets pad symmetrically
  on both sides: the same windows.)
- Initial weights and images come from PyTorch's generator, not tfjs's (same distributions:
  He-normal truncated at 2 sd for convolutions, Glorot-uniform for dense layers, zero biases,
  BN gamma 1 / beta 0, images uniform in [0, 1)), so losses are comparable, not equal.
- Batch norm eps 1e-3 and moving-average momentum 0.99 as tf.layers' defaults (PyTorch
  momentum 0.01); PyTorch updates its running variance with the unbiased batch variance, tfjs
  with the biased one (running statistics only: training outputs and gradients are the same).
  PyTorch also keeps a `num_batches_tracked` counter per BN layer (not counted below).
- Layout: our tensors are NHWC; `float32` mode is NCHW, `channels-last` is PyTorch's NHWC
  memory format of NCHW-indexed tensors; shapes are reported as NHWC per image to compare.

Usage:
  python3 bench/peers/torch_reference_step.py --steps 5            # every mode, a table
  python3 bench/peers/torch_reference_step.py --encoder resnet18-small --batch 64
  python3 bench/peers/torch_reference_step.py --info               # parameters and shapes
  python3 bench/peers/torch_reference_step.py --serve              # driven by bench.ts

`--serve` prints one JSON line (the --info object), then answers each request line
`<mode> <steps>` with a JSON line {"mode", "imagesPerSecond", "loss"} (one warm-up step, then
`steps` timed steps, as bench.ts's own timing); `deno task bench --peers` drives it.
"""

import argparse
import json
import math
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

MODES = ("float32", "channels-last", "bf16")
TEMPERATURE = 0.5
# tf.layers.batchNormalization's defaults (the reference step passes only names).
BN_EPSILON = 1e-3
BN_MOMENTUM = 1 - 0.99
# tf.train.adam(1e-3): beta1 0.9, beta2 0.999, epsilon = the float32 backend's epsilon().
ADAM = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-7}


def bn2d(channels):
    return nn.BatchNorm2d(channels, eps=BN_EPSILON, momentum=BN_MOMENTUM)


def conv(cin, cout, kernel, stride):
    layer = nn.Conv2d(cin, cout, kernel, stride, padding=kernel // 2, bias=False)
    # tf.initializers.heNormal: truncated normal (at 2 sd), sd sqrt(2 / fan_in).
    sd = math.sqrt(2 / (cin * kernel * kernel))
    nn.init.trunc_normal_(layer.weight, std=sd, a=-2 * sd, b=2 * sd)
    return layer


def dense(cin, cout, bias):
    layer = nn.Linear(cin, cout, bias=bias)
    nn.init.xavier_uniform_(layer.weight)  # tf.initializers.glorotUniform
    if bias:
        nn.init.zeros_(layer.bias)
    return layer


class BasicBlock(nn.Module):
    """ResNet basic block; a 1x1 conv + BN projection shortcut where the shape changes."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = conv(cin, cout, 3, stride)
        self.bn1 = bn2d(cout)
        self.conv2 = conv(cout, cout, 3, 1)
        self.bn2 = bn2d(cout)
        self.shortcut_conv = None
        if stride != 1 or cin != cout:
            self.shortcut_conv = conv(cin, cout, 1, stride)
            self.shortcut_bn = bn2d(cout)

    def forward(self, x):
        shortcut = x if self.shortcut_conv is None else self.shortcut_bn(self.shortcut_conv(x))
        y = F.relu(self.bn1(self.conv1(x)), inplace=True)
        y = self.bn2(self.conv2(y))
        return F.relu(y + shortcut, inplace=True)


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem_conv = conv(1, 32, 3, 1)
        self.stem_bn = bn2d(32)
        self.stage1 = BasicBlock(32, 32, 1)
        self.stage2 = BasicBlock(32, 64, 2)
        self.stage3 = BasicBlock(64, 128, 2)
        self.pool = nn.AdaptiveAvgPool2d(1)

    def forward(self, x):
        x = F.relu(self.stem_bn(self.stem_conv(x)), inplace=True)
        x = self.stage3(self.stage2(self.stage1(x)))
        return torch.flatten(self.pool(x), 1)


class ResNet18(nn.Module):
    """ResNet-18 with the small-image stem, channel widths scaled by `width` (floored)."""

    def __init__(self, channels, width):
        super().__init__()
        widths = [math.floor(c * width) for c in (64, 128, 256, 512)]
        self.stem_conv = conv(channels, widths[0], 3, 1)
        self.stem_bn = bn2d(widths[0])
        cin = widths[0]
        for i, cout in enumerate(widths):
            stride = 1 if i == 0 else 2
            setattr(self, f"stage{i + 1}",
                    nn.Sequential(BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)))
            cin = cout
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.features = cin

    def forward(self, x):
        x = F.relu(self.stem_bn(self.stem_conv(x)), inplace=True)
        x = self.stage4(self.stage3(self.stage2(self.stage1(x))))
        return torch.flatten(self.pool(x), 1)


# Per encoder: input (channels, size), how to build it, head (hidden, out).
ENCODERS = {
    "reference": ((1, 28), Encoder, (128, 64)),
    "resnet18-small": ((3, 32), lambda: ResNet18(3, 1), (512, 128)),
    "train-default": ((1, 28), lambda: ResNet18(1, 0.25), (128, 128)),
}


class Head(nn.Module):
    def __init__(self, cin=128, hidden=128, out=64):
        super().__init__()
        self.dense1 = dense(cin, hidden, bias=False)
        self.bn1 = nn.BatchNorm1d(hidden, eps=BN_EPSILON, momentum=BN_MOMENTUM)
        self.dense2 = dense(hidden, out, bias=True)

    def forward(self, h):
        return self.dense2(F.relu(self.bn1(self.dense1(h)), inplace=True))


def nt_xent(z, temperature):
    """NT-Xent of z [2N, D] (rows 0..N-1 view 1, N..2N-1 view 2), as losses/nt_xent.ts."""
    z = F.normalize(z, dim=1, eps=1e-12)
    m = z.shape[0]
    similarity = z @ z.t() / temperature
    # Drop the diagonal: in row-major order it sits every m + 1 places from 0.
    logits = similarity.reshape(-1)[1:].view(m - 1, m + 1)[:, :m].reshape(m, m - 1)
    u1, u2 = z.chunk(2)
    positive = (u1 * u2).sum(1) / temperature
    return (torch.logsumexp(logits, 1) - torch.cat([positive, positive])).mean()


# tfjs layer names of bench/reference_step.ts and @selfsup/encoders' resNet, by module path.
def tfjs_name(path, encoder):
    head = {"dense1": "head_dense1", "bn1": "head_bn1", "dense2": "head_dense2"}
    if path.startswith("head."):
        return head[path[5:]]
    path = path[len("encoder."):]
    if "." not in path:
        # stem_conv, stem_bn, pool
        return "avg_pool" if path == "pool" and encoder != "reference" else path
    if encoder != "reference":
        stage, block, leaf = path.split(".")
        return f"{stage}_block{int(block) + 1}_{leaf}"
    stage, leaf = path.split(".")
    leaves = {"conv1": "1_conv", "bn1": "1_bn", "conv2": "2_conv", "bn2": "2_bn"}
    return f"{stage}_{leaves.get(leaf, leaf)}"


def bf16_unsupported():
    """Why bf16 autocast is not timed here, or None where the CPU runs bfloat16 natively."""
    if not torch.backends.mkldnn.is_available():
        return "this PyTorch has no oneDNN (mkldnn)"
    try:
        with open("/proc/cpuinfo") as f:
            flags = set(f.read().split())
    except OSError:
        return "cannot read /proc/cpuinfo to find AVX-512 BF16 or AMX"
    if "avx512_bf16" in flags or "amx_bf16" in flags:
        return None
    return "this CPU has neither AVX-512 BF16 nor AMX-BF16 (autocast would emulate bfloat16)"


class Step:
    """One mode's model, optimizer and fixed views."""

    def __init__(self, mode, batch, seed, encoder):
        torch.manual_seed(seed)
        self.mode = mode
        (channels, size), make_encoder, (hidden, out) = ENCODERS[encoder]
        body = make_encoder()
        self.model = nn.ModuleDict({
            "encoder": body,
            "head": Head(getattr(body, "features", 128), hidden, out),
        })
        self.views = torch.rand(2 * batch, channels, size, size)
        if mode != "float32":
            self.model = self.model.to(memory_format=torch.channels_last)
            self.views = self.views.contiguous(memory_format=torch.channels_last)
        self.model.train()
        self.optimizer = torch.optim.Adam(self.model.parameters(), **ADAM)
        self.images_per_step = 2 * batch

    def step(self):
        self.optimizer.zero_grad(set_to_none=True)
        if self.mode == "bf16":
            with torch.autocast("cpu", dtype=torch.bfloat16):
                z = self.model["head"](self.model["encoder"](self.views))
            z = z.float()
        else:
            z = self.model["head"](self.model["encoder"](self.views))
        loss = nt_xent(z, TEMPERATURE)
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def time(self, steps):
        """Images/s of `steps` steps after one warm-up step, and the last loss."""
        self.step()
        t0 = time.perf_counter()
        loss = math.nan
        for _ in range(steps):
            loss = self.step()
        return self.images_per_step * steps / (time.perf_counter() - t0), loss


def info(batch, seed, encoder):
    """Parameter counts and per-layer output shapes (NHWC per image, tfjs names)."""
    step = Step("float32", batch, seed, encoder)
    shapes = {}
    hooks = []
    for path, module in step.model.named_modules():
        if isinstance(module, (nn.Conv2d, nn.Linear, nn.BatchNorm2d, nn.BatchNorm1d,
                               nn.AdaptiveAvgPool2d)):
            def record(_module, _inputs, output, name=tfjs_name(path, encoder)):
                s = list(output.shape[1:])
                if name in ("pool", "avg_pool"):
                    s = s[:1]  # flattened after pooling, as tfjs's globalAveragePooling2d
                shapes[name] = s[1:] + s[:1] if len(s) == 3 else s
            hooks.append(module.register_forward_hook(record))
    with torch.no_grad():
        z = step.model["head"](step.model["encoder"](step.views))
    for hook in hooks:
        hook.remove()
    buffers = sum(b.numel() for name, b in step.model.named_buffers()
                  if not name.endswith("num_batches_tracked"))
    return {
        "torch": torch.__version__,
        "encoder": encoder,
        "threads": torch.get_num_threads(),
        "parameters": sum(p.numel() for p in step.model.parameters()),
        "buffers": buffers,
        "shapes": shapes,
        "projection": list(z.shape),
        "bf16": bf16_unsupported(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--encoder", choices=list(ENCODERS), default="reference")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--info", action="store_true")
    parser.add_argument("--serve", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    facts = info(args.batch, args.seed, args.encoder)
    if args.info or args.serve:
        print(json.dumps(facts), flush=True)
    if args.info:
        return
    steps = {}

    def run(mode, n):
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; use {', '.join(MODES)}")
        if mode == "bf16" and facts["bf16"] is not None:
            raise ValueError(f"bf16 skipped: {facts['bf16']}")
        if mode not in steps:
            steps[mode] = Step(mode, args.batch, args.seed, args.encoder)
        return steps[mode].time(n)

    if args.serve:
        for line in sys.stdin:
            mode, n = line.split()
            try:
                rate, loss = run(mode, int(n))
                reply = {"mode": mode, "imagesPerSecond": rate, "loss": loss}
            except ValueError as error:
                reply = {"mode": mode, "error": str(error)}
            print(json.dumps(reply), flush=True)
        return
    print(f"torch {facts['torch']}, {facts['threads']} threads, {args.encoder} encoder, "
          f"2 x {args.batch} images, "
          f"{facts['parameters']} parameters + {facts['buffers']} BN running statistics")
    for mode in args.modes.split(","):
        try:
            rate, loss = run(mode, args.steps)
            print(f"{mode}: {rate:.1f} images/s, loss {loss:.4f}")
        except ValueError as error:
            print(f"{mode}: {error}")


if __name__ == "__main__":
    main()
