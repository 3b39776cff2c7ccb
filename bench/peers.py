"""PyTorch's training step as a timing server for `deno task bench:report --peers`.

Reads one JSON command per line on stdin and writes one JSON reply per line on stdout:

- {"cmd": "hello"} -> {"ok": true, "torch": version, "python": version, "threads": n}
- {"cmd": "build", "id": s, "sizes": [...], "batch": B, "activation": "tanh"|"relu",
   "loss": "squaredError"|"softmaxCrossEntropy", "dtype": "f64"|"f32", "seed": k}
  -> {"ok": true, "params": count of parameters, "once_ms": fastest of 3 calls after 2 warm-up}
- {"cmd": "time", "id": s, "calls": N} -> {"ok": true, "ms": wall-clock ms per call of N calls}
- {"cmd": "check", "sizes", "activation", "loss", "batch", "thetas", "x", "y"}
  -> {"ok": true, "loss": mean loss, "grads": [...]}: one f64 step on given values, in sgdlab's
  layout (theta_l is out x (in + 1), bias last; x and y hold one sample per column), so that a
  test can compare it with sgdlab's `lossAndGradient`.
- {"cmd": "quit"} -> exits.

A failed command replies {"ok": false, "error": message} and the server keeps reading.

The step is the same work as sgdlab's `passWorkload(config).step()`: forward through every
layer, the mean loss over the batch (squared error 1/2 |x_L - y|^2 per sample, or softmax
cross-entropy on class indices), and the gradient of that mean with respect to every weight and
bias (torch.autograd.grad, so nothing accumulates; the input does not require a gradient).
Layers are nn.Linear's form: a weight W (out x in) and a bias b apart, z = F.linear(x, W, b)
(one addmm), samples in rows. The hidden activation is tanh or relu, the output the identity.
Weights are drawn as sgdlab draws them (N(0, 1/fan_in) for tanh, N(0, 2/fan_in) for relu, biases
0), inputs N(0, 1), squared-error targets N(0, 1), class labels uniform.

Threads: the caller sets OMP_NUM_THREADS=1 and OPENBLAS_NUM_THREADS=1; this file also calls
torch.set_num_threads(1) and torch.set_num_interop_threads(1) before any work.
"""

import json
import platform
import sys
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(1)
try:
    torch.set_num_interop_threads(1)
except RuntimeError:  # already set: harmless
    pass

DTYPES = {"f64": torch.float64, "f32": torch.float32}


class Step:
    """One network, batch and dtype, with the training step to time."""

    def __init__(self, sizes, batch, activation, loss, dtype, seed):
        if activation not in ("tanh", "relu"):
            raise ValueError(f"cannot build a step: unknown activation {activation!r}")
        if loss not in ("squaredError", "softmaxCrossEntropy"):
            raise ValueError(f"cannot build a step: unknown loss {loss!r}")
        if dtype not in DTYPES:
            raise ValueError(f"cannot build a step: unknown dtype {dtype!r}, use f64 or f32")
        gen = torch.Generator().manual_seed(int(seed))
        t = DTYPES[dtype]
        scale = 2.0 if activation == "relu" else 1.0
        self.params = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            w = torch.randn(fan_out, fan_in, generator=gen, dtype=torch.float64)
            w = (w * (scale / fan_in) ** 0.5).to(t).requires_grad_()
            b = torch.zeros(fan_out, dtype=t).requires_grad_()
            self.params += [w, b]
        self.x = torch.randn(batch, sizes[0], generator=gen, dtype=torch.float64).to(t)
        if loss == "squaredError":
            self.y = torch.randn(batch, sizes[-1], generator=gen, dtype=torch.float64).to(t)
        else:
            self.y = torch.randint(sizes[-1], (batch,), generator=gen)
        self.activation = torch.tanh if activation == "tanh" else torch.relu
        self.loss = loss
        self.batch = batch

    def mean_loss(self):
        h = self.x
        layers = len(self.params) // 2
        for l in range(layers):
            h = F.linear(h, self.params[2 * l], self.params[2 * l + 1])
            if l < layers - 1:
                h = self.activation(h)
        if self.loss == "squaredError":
            return 0.5 * (h - self.y).square().sum() / self.batch
        return F.cross_entropy(h, self.y)  # mean over the batch

    def step(self):
        """Forward + loss + backward: the gradient of the mean loss w.r.t. every parameter."""
        return torch.autograd.grad(self.mean_loss(), self.params)

    def time(self, calls):
        """Wall-clock ms per call over `calls` consecutive steps."""
        start = time.perf_counter()
        for _ in range(calls):
            self.step()
        return (time.perf_counter() - start) * 1000 / calls


def check(cmd):
    """One f64 step on the given values, in sgdlab's layout (see the module's docstring)."""
    sizes, batch = cmd["sizes"], cmd["batch"]
    step = Step(sizes, batch, cmd["activation"], cmd["loss"], "f64", 0)
    with torch.no_grad():
        for l, theta in enumerate(cmd["thetas"]):
            t = torch.tensor(theta, dtype=torch.float64).reshape(sizes[l + 1], sizes[l] + 1)
            step.params[2 * l].copy_(t[:, :-1])
            step.params[2 * l + 1].copy_(t[:, -1])
    step.x = torch.tensor(cmd["x"], dtype=torch.float64).reshape(sizes[0], batch).T.contiguous()
    y = torch.tensor(cmd["y"], dtype=torch.float64).reshape(sizes[-1], batch).T.contiguous()
    step.y = y if cmd["loss"] == "squaredError" else y.argmax(dim=1)
    loss = step.mean_loss()
    grads = torch.autograd.grad(loss, step.params)
    out = []
    for l in range(len(sizes) - 1):
        g = torch.cat([grads[2 * l], grads[2 * l + 1].unsqueeze(1)], dim=1)
        out.append(g.reshape(-1).tolist())
    return {"loss": loss.item(), "grads": out}


def handle(cmd, steps):
    kind = cmd.get("cmd")
    if kind == "hello":
        return {
            "torch": torch.__version__,
            "python": platform.python_version(),
            "threads": torch.get_num_threads(),
        }
    if kind == "build":
        s = Step(cmd["sizes"], cmd["batch"], cmd["activation"], cmd["loss"], cmd["dtype"],
                 cmd.get("seed", 2018))
        steps[cmd["id"]] = s
        s.time(2)  # warm-up: the allocator's first blocks, autograd's first graph
        once = min(s.time(1) for _ in range(3))
        return {"params": sum(p.numel() for p in s.params), "once_ms": once}
    if kind == "time":
        if cmd["id"] not in steps:
            raise KeyError(f"cannot time {cmd['id']!r}: it was not built")
        calls = int(cmd["calls"])
        if calls < 1:
            raise ValueError(f"cannot time {calls} calls: need at least 1")
        return {"ms": steps[cmd["id"]].time(calls)}
    if kind == "check":
        return check(cmd)
    raise ValueError(f"cannot run command {kind!r}: expected hello, build, time, check or quit")


def main():
    steps = {}
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            cmd = json.loads(line)
            if cmd.get("cmd") == "quit":
                break
            reply = {"ok": True, **handle(cmd, steps)}
        except Exception as e:  # noqa: BLE001 - every failure is a reply, never a dead server
            reply = {"ok": False, "error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
