#!/usr/bin/env bash
# Installs what a fresh machine lacks, then the npm packages. Safe to run again.
# - Debian's dataset-fashion-mnist: the Fashion-MNIST files training and its tests read.
# - WebGPU in Node is Dawn (npm package "webgpu"). Without a GPU, Dawn runs on SwiftShader, a
#   CPU Vulkan driver shipped by Debian's chromium package; Dawn also needs the Vulkan loader.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
[ -f /usr/lib/chromium/vk_swiftshader_icd.json ] || missing+=(chromium)
# grep without -q reads all of ldconfig's output: with -q it may exit at the first match, and
# under pipefail ldconfig's SIGPIPE would then count the loader as missing.
ldconfig -p 2>/dev/null | grep 'libvulkan\.so\.1 ' >/dev/null || missing+=(libvulkan1)
# Fashion-MNIST for training and the shipped models' tests (xnornet train --dataset fashion-mnist).
[ -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ] || missing+=(dataset-fashion-mnist)
if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "setup: installing ${missing[*]} (SwiftShader and the Vulkan loader for WebGPU without a GPU; Fashion-MNIST)"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: no apt-get here; without a GPU, install a Vulkan loader and SwiftShader yourself (${missing[*]})" >&2
  fi
fi

# npm's own output (package counts, install-script notices, the build's file table) only
# matters when something fails: keep it in a log and show it then.
log=$(mktemp)
# onnxruntime-node (a benchmark peer) would fetch CUDA libraries in its install script: the
# CPU binaries it ships are all the benchmarks use, and nothing may be downloaded here.
export ONNXRUNTIME_NODE_INSTALL=skip
if ! npm ci --no-audit --no-fund >"$log" 2>&1; then
  cat "$log" >&2
  echo "setup: npm ci failed (output above)" >&2
  exit 1
fi
rm -f "$log"
echo "setup: npm packages installed, the CPU kernels and the CLI built (dist/xnornet.js)"
