#!/usr/bin/env python3
"""One training step of ComiRec-SA or Re4 in plain PyTorch, timed: the port that eng/bench-port.sh measures against
`re4 bench train` (issue 14; docs/benchmarks.md, "Against a PyTorch port (issue 14)").

Written by the team from the equations of the team's method specification (re4-method.md) and from our C# sources,
operation for operation, so that both sides do the same work per step:
- model: item table [N + 1, d] (Xavier uniform, row 0 the zero padding row), the self-attentive encoder of
  src/Re4.Recommenders/Extractors/SelfAttentiveExtractor.cs in ComiRec's flavour (position embedding added to the
  scorer's input only, hidden 4d with biases, tanh, K output rows, Z = A·X, U = Z);
- main loss (Training/Objectives/MainLoss.cs): k* = argmax_k <u_k, e_y> without gradient, full softmax cross-entropy
  over items 1..N;
- re4 adds the three backward flows of BackwardFlows/ with the reference settings: re-contrast (λ 0.1, τ 0.02, γ = 1/n,
  denominator over own items, other interests and the batch neighbour's items, averaged over all B·K·L cells),
  re-attend (λ 0.001, raw Z·Xᵀ target, not detached) and re-construct (λ 0.1, generator Linear d→L·d, slot attention,
  squared error averaged over all B·K·L·d entries);
- Adam (torch.optim.Adam, lr 0.001) over every parameter, dense.

Batches are synthetic with the shape of the C# benchmark's data (Amazon Beauty after ComiRec's filter: 12,101 items,
users of 5 to 13 items, every prefix a sample): histories of 1 to 12 items, left-aligned in [B, 20] with 0 for padding,
ids uniform in 1..N. The values differ from the C# run's; the shapes, and so the work, do not.

Prints one JSON object: model, torch_version, blas, blas_library, threads, steps, warmup, step_ms (wall),
cpu_ms_per_step (process CPU time), samples_per_second (wall), cores_used, phase_ms (wall ms per step of forward,
backward and optimizer), first_loss, last_loss and the sizes. Exit code 3: a loss was not finite.
"""

import argparse
import json
import os
import sys
import time


def parse_args(argv):
    p = argparse.ArgumentParser(description="Time one ComiRec-SA / Re4 training step in PyTorch (the port of issue 14).")
    p.add_argument("--model", choices=["comirec-sa", "re4"], default="comirec-sa")
    p.add_argument("--threads", type=int, default=1, help="torch intra-op threads (also OMP/OpenBLAS/MKL threads; default 1)")
    p.add_argument("--steps", type=int, default=200, help="timed steps")
    p.add_argument("--warmup", type=int, default=20, help="untimed steps first")
    p.add_argument("--items", type=int, default=12_101, help="N, the catalogue (ids 1..N)")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--interests", type=int, default=4, help="K")
    p.add_argument("--dim", type=int, default=64, help="d")
    p.add_argument("--max-len", type=int, default=20, help="L, the padded history width")
    p.add_argument("--min-user-items", type=int, default=5, help="shortest user sequence of the synthetic data")
    p.add_argument("--max-user-items", type=int, default=13, help="longest user sequence of the synthetic data")
    p.add_argument("--seed", type=int, default=2022)
    p.add_argument("--fixed-batch", action="store_true", help="train on one batch every step (sanity check: the loss must fall)")
    p.add_argument("--print-losses", action="store_true", help="print each step's loss parts to stderr")
    p.add_argument("--json", action="store_true", help="print the JSON object (always printed; accepted for symmetry with re4)")
    args = p.parse_args(argv)
    for name in ("threads", "steps", "items", "batch_size", "interests", "dim", "max_len", "min_user_items"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1, not {getattr(args, name)}")
    if args.warmup < 0:
        p.error(f"--warmup must be at least 0, not {args.warmup}")
    if not args.min_user_items <= args.max_user_items:
        p.error(f"--max-user-items ({args.max_user_items}) must be at least --min-user-items ({args.min_user_items})")
    if args.max_user_items - 1 > args.max_len:
        p.error(f"--max-user-items - 1 ({args.max_user_items - 1}) must fit in --max-len ({args.max_len})")
    return args


ARGS = parse_args(sys.argv[1:])
# Before torch loads: its BLAS and OpenMP read these once. torch.set_num_threads does not reach a "generic" BLAS
# (Debian's torch finds libblas.so.3 at run time), so OpenBLAS's own threads are capped here.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, str(ARGS.threads))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

MASK_VALUE = -1e9  # the library's finite mask (MaskedAttention.MaskValue): 0·(-1e9) stays finite


class SelfAttentive(nn.Module):
    """ComiRec-SA: A = softmax_L(W_b·tanh(W_a·(X + P))) masked on padding, Z = A·X."""

    def __init__(self, d, k, max_len):
        super().__init__()
        self.w_a = nn.Linear(d, 4 * d)
        self.w_b = nn.Linear(4 * d, k)
        self.position = nn.Parameter(torch.empty(max_len, d))  # [L, d]
        nn.init.xavier_uniform_(self.position)

    def forward(self, x, padding):
        # x [B, L, d]; padding bool [B, 1, L]
        l = x.shape[1]
        logits = self.w_b(torch.tanh(self.w_a(x + self.position[:l].unsqueeze(0)))).transpose(1, 2)  # [B, K, L]
        masked = logits.masked_fill(padding, MASK_VALUE)
        attention = masked.softmax(-1)  # [B, K, L]
        log_attention = masked.log_softmax(-1)  # [B, K, L]
        return attention.matmul(x), attention, log_attention  # Z [B, K, d]


class Generator(nn.Module):
    """Re-construct's generator: Q = Linear_{d→L·d}(z) in L slots, G = softmax(W₂·tanh(W₁·Qᵀ)), X̃ = G·(Q·W₃)."""

    def __init__(self, d, max_len):
        super().__init__()
        self.d, self.max_len = d, max_len
        self.expand = nn.Linear(d, max_len * d)
        self.w_1 = nn.Linear(d, d, bias=False)
        self.w_2 = nn.Linear(d, max_len, bias=False)
        self.w_3 = nn.Linear(d, d, bias=False)

    def forward(self, z, l, padding):
        b, k, _ = z.shape
        q = self.expand(z).view(b, k, self.max_len, self.d)[:, :, :l]  # [B, K, L, d]
        logits = self.w_2(torch.tanh(self.w_1(q)))[..., :l].transpose(2, 3)  # [B, K, L(positions), L(slots)]
        g = logits.masked_fill(padding.unsqueeze(1), MASK_VALUE).softmax(-1)  # slot j is history position j
        return g.matmul(self.w_3(q))  # X̃ [B, K, L, d]


class Step:
    """The model, the objective and Adam: call step(history, targets) once per batch."""

    def __init__(self, args):
        d, k, n = args.dim, args.interests, args.items
        self.items = nn.Embedding(n + 1, d, padding_idx=0)
        with torch.no_grad():
            nn.init.xavier_uniform_(self.items.weight)
            self.items.weight[0].zero_()
        self.encoder = SelfAttentive(d, k, args.max_len)
        self.re4 = args.model == "re4"
        self.generator = Generator(d, args.max_len) if self.re4 else None
        params = list(self.items.parameters()) + list(self.encoder.parameters())
        if self.generator is not None:
            params += list(self.generator.parameters())
        self.optimizer = torch.optim.Adam(params, lr=1e-3)

    def loss(self, history, targets):
        mask = history.ne(0).float()  # [B, L]
        padding = mask.eq(0).unsqueeze(1)  # [B, 1, L]
        x = self.items(history)  # [B, L, d], padding rows 0
        z, attention, log_attention = self.encoder(x, padding)
        table = self.items.weight  # [N + 1, d]
        # Main loss: the interest that best matches the target (no gradient through the choice), full softmax.
        target_emb = table.index_select(0, targets)  # [B, d]
        best = z.matmul(target_emb.unsqueeze(-1)).squeeze(-1).detach().argmax(1)  # [B]
        u = z.gather(1, best.view(-1, 1, 1).expand(-1, 1, z.shape[2])).squeeze(1)  # [B, d]
        logits = u.matmul(table[1:].t())  # [B, N]
        main = F.cross_entropy(logits, targets - 1)
        parts = {"main": main}
        if not self.re4:
            return main, parts
        b, k, l = attention.shape
        # Positives shared by re-contrast and re-construct: A > 1/n_b on valid items.
        gamma = mask.sum(1).clamp_min(1).reciprocal().view(-1, 1, 1)  # [B, 1, 1]
        positives = (attention.detach() > gamma) & mask.unsqueeze(1).gt(0)  # [B, K, L]
        not_positives = positives.logical_not()
        # Re-contrast, τ = 0.02, in log space.
        zn = F.normalize(z, p=2, dim=-1)  # [B, K, d]
        xn = F.normalize(x, p=2, dim=-1)  # [B, L, d]
        pad = padding.expand(b, k, l)  # [B, K, L]
        own_interest = torch.eye(k, dtype=torch.bool).unsqueeze(0).expand(b, k, k)  # [B, K, K]
        products = torch.cat([zn.matmul(xn.transpose(1, 2)), zn.matmul(zn.transpose(1, 2)),
                              zn.matmul(xn.roll(1, 0).transpose(1, 2))], 2)  # [B, K, 2L+K]
        excluded = torch.cat([pad, own_interest, pad.roll(1, 0)], 2)
        scores = products * (1.0 / 0.02)
        log_denominator = scores.masked_fill(excluded, MASK_VALUE).logsumexp(2, keepdim=True)  # [B, K, 1]
        contrast = (log_denominator - scores[:, :, :l]).masked_fill(not_positives, 0).sum() / (b * k * l)
        # Re-attend: R = softmax(masked Z·Xᵀ) against log A.
        target = z.matmul(x.transpose(1, 2)).masked_fill(padding, MASK_VALUE).softmax(-1)  # [B, K, L]
        attend = (-(target * log_attention).sum(-1) / target.sum(-1).clamp_min(1e-12)).mean()
        # Re-construct: squared error on the positive cells, averaged over all B·K·L·d entries.
        reconstructed = self.generator(z, l, padding)  # [B, K, L, d]
        error = (reconstructed - x.unsqueeze(1)).square().masked_fill(not_positives.unsqueeze(-1), 0)
        construct = error.sum() / (b * k * l * x.shape[2])
        parts.update(contrast=contrast, attend=attend, construct=construct)
        return main + 0.1 * contrast + 0.001 * attend + 0.1 * construct, parts

    def step(self, history, targets, clock):
        """One step; adds the wall seconds of its forward, backward and optimizer phases to clock (a dict)."""
        t0 = time.perf_counter()
        total, parts = self.loss(history, targets)
        value = total.item()
        t1 = time.perf_counter()
        self.optimizer.zero_grad()
        total.backward()
        t2 = time.perf_counter()
        self.optimizer.step()
        t3 = time.perf_counter()
        clock["forward"] += t1 - t0
        clock["backward"] += t2 - t1
        clock["optimizer"] += t3 - t2
        return value, parts


class Batches:
    """Beauty-shaped batches: every prefix of users with min..max items, so history lengths 1..max-1 weighted by how
    many users have a prefix that long; ids uniform in 1..N."""

    def __init__(self, args, generator):
        self.args, self.generator = args, generator
        lengths = torch.arange(1, args.max_user_items)  # possible history lengths
        users = torch.arange(args.min_user_items, args.max_user_items + 1)  # user sequence lengths, equally likely
        self.weights = (lengths.unsqueeze(1) <= users.unsqueeze(0) - 1).sum(1).double()  # prefixes of each length
        self.lengths = lengths

    def next(self):
        a = self.args
        drawn = self.lengths[torch.multinomial(self.weights, a.batch_size, replacement=True, generator=self.generator)]  # [B]
        ids = torch.randint(1, a.items + 1, (a.batch_size, a.max_len), generator=self.generator)  # [B, L]
        history = ids * (torch.arange(a.max_len).unsqueeze(0) < drawn.unsqueeze(1))  # left-aligned, 0 for padding
        targets = torch.randint(1, a.items + 1, (a.batch_size,), generator=self.generator)  # [B]
        return history, targets


def blas_names():
    """BLAS_INFO from torch's build configuration, and the BLAS library this process actually loaded (Linux)."""
    config = torch.__config__.show()
    info = next((part.split("=", 1)[1] for part in config.replace(",", " ").split() if part.startswith("BLAS_INFO=")), None)
    loaded = None
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            libs = {line.split()[-1] for line in maps if ".so" in line}
        # Folder and file: Debian's alternatives put each BLAS's libblas.so.3 in a folder named after it.
        blas = sorted(os.path.join(os.path.basename(os.path.dirname(p)), os.path.basename(p))
                      for p in libs if any(s in os.path.basename(p) for s in ("blas", "mkl_rt", "libmkl")))
        loaded = ", ".join(blas) if blas else None
    except OSError:
        pass
    return info, loaded


def main():
    a = ARGS
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    data_generator = torch.Generator().manual_seed(a.seed + 1)
    step = Step(a)
    batches = Batches(a, data_generator)
    fixed = batches.next() if a.fixed_batch else None
    losses = []

    clock = dict.fromkeys(("forward", "backward", "optimizer"), 0.0)

    def run(n):
        for _ in range(n):
            history, targets = fixed if fixed is not None else batches.next()
            total, parts = step.step(history, targets, clock)
            losses.append(total)
            if a.print_losses:
                print(json.dumps({"step": len(losses), "total": total, **{k: v.item() for k, v in parts.items()}}), file=sys.stderr)

    run(a.warmup)
    clock.update(dict.fromkeys(clock, 0.0))
    cpu0, wall0 = time.process_time(), time.perf_counter()
    run(a.steps)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    info, loaded = blas_names()
    report = {
        "model": a.model,
        "torch_version": torch.__version__,
        "blas": info,
        "blas_library": loaded,
        "threads": torch.get_num_threads(),
        "steps": a.steps,
        "warmup": a.warmup,
        "items": a.items,
        "batch_size": a.batch_size,
        "interests": a.interests,
        "dim": a.dim,
        "max_len": a.max_len,
        "fixed_batch": a.fixed_batch,
        "step_ms": wall / a.steps * 1e3,
        "cpu_ms_per_step": cpu / a.steps * 1e3,
        "samples_per_second": a.steps * a.batch_size / wall,
        "cores_used": cpu / wall,
        # Wall ms per step of each phase (forward: the loss from a drawn batch; backward: zero_grad and backward; optimizer: Adam).
        "phase_ms": {name: seconds / a.steps * 1e3 for name, seconds in clock.items()},
        "first_loss": losses[0],
        "last_loss": losses[-1],
    }
    print(json.dumps(report))
    finite = all(v == v and abs(v) != float("inf") for v in losses)
    return 0 if finite else 3


if __name__ == "__main__":
    sys.exit(main())
