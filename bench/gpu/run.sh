#!/usr/bin/env bash
# The GPU check itself, run from the repository root on the device machine after
# bench/gpu/prepare-carry.sh: backend parity (WebGPU vs cpu on whole models, then a few training
# steps), then training/inference throughput on WebGPU. Results go to $OUT (or ./gpu-out).
set -uo pipefail
cd "$(dirname "$0")"
out=${OUT:-./gpu-out}; mkdir -p "$out"
for f in debs/*.deb; do dpkg -x "$f" /; done; ldconfig
export VK_DRIVER_FILES=${VK_DRIVER_FILES:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}
node=$(command -v node || true)
if [ -z "$node" ] || ! "$node" -e 'process.exit(+process.versions.node.split(".")[0] < 20)'; then
  xz -dc node.xz > ./node && chmod +x ./node && node=./node
fi
{ nvidia-smi --query-gpu=name,driver_version --format=csv; "$node" --version; ls /usr/local/nvidia/share/vulkan/icd.d/ 2>&1; } | tee "$out/env.txt"
timeout 300 "$node" bench/backend-parity.mjs --backend webgpu > "$out/parity-webgpu.json" 2> "$out/parity-webgpu.log"
echo "parity rc=$?"; tail -5 "$out/parity-webgpu.log"
timeout 280 "$node" bench/train-throughput.mjs --backend webgpu --arch mobilenetv4_conv_small --size 32,64 --max-step-seconds 600 \
  --train-seconds 10 --infer-seconds 1 --warmup 3 > "$out/throughput-webgpu.json" 2> "$out/throughput-webgpu.log"
echo "throughput rc=$?"; tail -5 "$out/throughput-webgpu.log"
