#!/usr/bin/env bash
# Prepares the GPU device check of `deno task bench` (issue 3) in .out/backends/gpu (ignored by
# git): the device machine has no network, so the bench is bundled into one file and Deno, the
# wasm binaries, OpenBLAS and the Vulkan/GL loader packages travel with it. Run on the
# development machine from the repository root; then run bench/gpu/run.sh on the device with
# `.out` carried.
set -euo pipefail
G=${G:-.out/backends/gpu}
mkdir -p "$G" /tmp/amd64/partial
deno bundle --platform deno -o "$G/bench.js" bench/bench.ts
cat > "$G/entry.js" <<'JS'
// Bundled emscripten glue reads __dirname (tfjs treats Deno as Node); give it one.
globalThis.__dirname = "/";
globalThis.__filename = "/bench.js";
await import("./bench.js");
JS
xz -T0 -6 -c "$(readlink -f "$(command -v deno)")" > "$G/deno.xz"
deno cache npm:@tensorflow/tfjs-backend-wasm@4.22.0
wasm_dir=$(find "${DENO_DIR:-$HOME/.cache/deno}/npm" -path '*tfjs-backend-wasm/4.22.0/wasm-out' | head -1)
cp "$wasm_dir"/tfjs-backend-wasm.wasm "$wasm_dir"/tfjs-backend-wasm-simd.wasm "$G/"
blas=$(readlink -f /usr/lib/x86_64-linux-gnu/libopenblas.so.0)
xz -c "$blas" > "$G/libopenblas.so.0.xz"
cp "$(readlink -f /usr/lib/x86_64-linux-gnu/libgfortran.so.5)" "$G/libgfortran.so.5"
cp "$(readlink -f /usr/lib/x86_64-linux-gnu/libquadmath.so.0)" "$G/libquadmath.so.0"
o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
# shellcheck disable=SC2086
apt-get $o update -qq
# shellcheck disable=SC2086
(cd "$G" && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
du -sh "$G"
