"""
The peer of `npm run bench:train`: LeNet-5 (float, BWN, XNOR) as xnornet's zoo builds it,
trained in PyTorch with the training semantics of docs/semantics.md (sign with the
straight-through estimator, K constant, the paper's weight gradient, Adam, clipping).
Prints one JSON line: {"torch", "threads", "mode", "batch", "images", "seconds", "imagesPerSecond"}.

usage: python3 pytorch_lenet.py --mode xnor --threads 1 --batch 128 --batches 40
The inputs are seeded random images (the throughput does not depend on the pixels).
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def sign(x):
    return torch.where(x >= 0, torch.ones_like(x), -torch.ones_like(x))


class SignSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return sign(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (x.abs() <= 1).to(g.dtype)


class BinaryWeight(torch.autograd.Function):
    """W~ = alpha * sign(W); dW = G * (1/n + alpha * 1_{|W| <= 1})."""

    @staticmethod
    def forward(ctx, w):
        n = w[0].numel()
        alpha = w.abs().reshape(w.shape[0], -1).mean(dim=1).reshape(-1, *([1] * (w.dim() - 1)))
        ctx.save_for_backward(w, alpha)
        ctx.n = n
        return alpha * sign(w)

    @staticmethod
    def backward(ctx, g):
        w, alpha = ctx.saved_tensors
        return g * (1.0 / ctx.n + alpha * (w.abs() <= 1).to(g.dtype))


class BinConv(nn.Conv2d):
    def __init__(self, cin, cout, k, xnor):
        super().__init__(cin, cout, k)
        self.xnor = xnor

    def forward(self, x):
        w = BinaryWeight.apply(self.weight)
        if not self.xnor:
            return F.conv2d(x, w, self.bias)
        a = x.detach().abs().mean(dim=1, keepdim=True)
        k = F.avg_pool2d(a, self.kernel_size, stride=1, padding=0)
        y = F.conv2d(SignSTE.apply(x), w)
        return y * k + self.bias.reshape(1, -1, 1, 1)


class BinLinear(nn.Linear):
    def __init__(self, fin, fout, xnor):
        super().__init__(fin, fout)
        self.xnor = xnor

    def forward(self, x):
        w = BinaryWeight.apply(self.weight)
        if not self.xnor:
            return F.linear(x, w, self.bias)
        k = x.detach().abs().mean(dim=1, keepdim=True)
        return F.linear(SignSTE.apply(x), w) * k + self.bias


def lenet5(mode):
    if mode == "float":
        return nn.Sequential(
            nn.Conv2d(1, 20, 5), nn.ReLU(), nn.MaxPool2d(2, 2),
            nn.Conv2d(20, 50, 5), nn.ReLU(), nn.MaxPool2d(2, 2),
            nn.Flatten(), nn.Linear(800, 500), nn.ReLU(), nn.Linear(500, 10),
        )
    xnor = mode == "xnor"
    return nn.Sequential(
        nn.Conv2d(1, 20, 5), nn.BatchNorm2d(20, eps=1e-4, affine=False), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.BatchNorm2d(20, eps=1e-4), BinConv(20, 50, 5, xnor), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Flatten(), nn.BatchNorm1d(800, eps=1e-4), BinLinear(800, 500, xnor), nn.ReLU(), nn.Linear(500, 10),
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", default="xnor", choices=["float", "bwn", "xnor"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--batches", type=int, default=40)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    model = lenet5(args.mode)
    binary = [m for m in model.modules() if isinstance(m, (BinConv, BinLinear))]
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(args.batches, args.batch, 1, 28, 28)
    y = torch.randint(0, 10, (args.batches, args.batch))

    def step(i):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x[i]), y[i])
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            for m in binary:
                m.weight.clamp_(-1, 1)

    for i in range(3):  # warm-up
        step(i)
    started = time.perf_counter()
    for i in range(args.batches):
        step(i)
    seconds = time.perf_counter() - started
    images = args.batches * args.batch
    print(json.dumps({"torch": torch.__version__, "threads": args.threads, "mode": args.mode, "batch": args.batch,
                      "images": images, "seconds": seconds, "imagesPerSecond": images / seconds}))


if __name__ == "__main__":
    main()
