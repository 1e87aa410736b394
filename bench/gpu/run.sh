#!/usr/bin/env bash
# Device check for issue 3: `deno task bench` (bundled by bench/gpu/prepare.sh) on the NVIDIA
# Vulkan driver. Run from the repository root on the device machine with `.out` carried.
set -uo pipefail
G=${G:-.out/backends/gpu}
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
BATCH_ARGS=${BATCH_ARGS:-}
xz -dc $G/deno.xz > /tmp/deno && chmod +x /tmp/deno
if [ -z "${LOCAL:-}" ]; then
  for f in $G/*.deb; do dpkg -x "$f" /; done; ldconfig
fi
mkdir -p /tmp/ob /tmp/xdg
xz -dc $G/libopenblas.so.0.xz > /tmp/ob/libopenblas.so.0
cp $G/libgfortran.so.5 $G/libquadmath.so.0 /tmp/ob/
export LD_LIBRARY_PATH=/tmp/ob XDG_RUNTIME_DIR=/tmp/xdg
for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
  [ -f "$icd" ] && export VK_DRIVER_FILES=$icd && break
done
{ nvidia-smi -L; nproc; echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-}"; ldconfig -p | grep -i libvulkan; } 2>&1 | tee $OUT/env.txt
W="--wasm-paths file://$PWD/$G/"
timeout 250 /tmp/deno run -A --no-config $G/entry.js --backends ${B1:-webgpu,blas,wasm,cpu-stock} --encoder reference --steps 5 $W $BATCH_ARGS 2>&1 | grep -v XDG_RUNTIME | tee $OUT/reference.txt
timeout 200 /tmp/deno run -A --no-config $G/entry.js --backends ${B2:-webgpu,blas} --encoder resnet18-small --steps 5 $W $BATCH_ARGS 2>&1 | grep -v XDG_RUNTIME | tee $OUT/resnet18.txt
