#!/usr/bin/env bash
# The GPU check, one prepared script for a device session (about 6-8 minutes), run from the
# repository root on the device machine after bench/gpu/prepare-carry.sh:
#
#   bash bench/gpu/prepare-carry.sh            # here, once
#   device run --carry .gpu 'bash .gpu/run.sh'  # there; results in $OUT (or .gpu/gpu-out)
#
# In order, each under its own timeout so one failure does not cost the rest:
#  1. fused-parity: the fused WebGPU kernels (AdamW, global norm, clipping, EMA, training BatchNorm)
#     and 3 small_cnn training steps against the cpu backend (--require: an adapter must exist here);
#  2. profile-step: MobileNetV4-conv-small 64 px batch 64 on webgpu, fused vs fused without the
#     BatchNorm kernels vs unfused — dispatches,
#     buffers, uploads, readbacks, copies, submits per step and forward/backward/norm/optimizer/
#     EMA/metrics times;
#  2b. step-metrics: the trainer's one-step-late packed metrics read vs the eager per-step reads
#     on webgpu (step time, readbacks, bit-identical weights);
#  3. train-throughput on webgpu at 32, 64 and 224 px (batch 64);
#  4. train-throughput on wasm on the host CPU at 32 and 64 px (the zoo's sizes);
#  5. the PyTorch reference on the same card (timm when installed, else the plain-PyTorch port),
#     if the image has torch with CUDA; skipped with the reason otherwise;
#  6. summary.json: img/s per size and the issue's ratios (webgpu/PyTorch, webgpu/wasm).
set -uo pipefail
cd "$(dirname "$0")"
out=${OUT:-./gpu-out}; mkdir -p "$out"
start=$(date +%s)
for f in debs/*.deb; do dpkg -x "$f" /; done; ldconfig
export VK_DRIVER_FILES=${VK_DRIVER_FILES:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}
node=$(command -v node || true)
if [ -z "$node" ] || ! "$node" -e 'process.exit(+process.versions.node.split(".")[0] < 20)'; then
  xz -dc node.xz > ./node && chmod +x ./node && node=./node
fi
python=""
for p in python3 /usr/bin/python3 /opt/conda/bin/python python; do
  if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import torch; assert torch.cuda.is_available()' 2>/dev/null; then python=$p; break; fi
done
{
  nvidia-smi --query-gpu=name,driver_version --format=csv
  "$node" --version
  ls /usr/local/nvidia/share/vulkan/icd.d/ 2>&1
  nproc
  if [ -n "$python" ]; then "$python" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)'; "$python" -c 'import timm; print("timm", timm.__version__)' 2>&1 | tail -1
  else echo "no python with torch+CUDA (tried python3, /usr/bin/python3, /opt/conda/bin/python, python)"; fi
} 2>&1 | tee "$out/env.txt"
step() { # <name> <timeout s> <output file> <command...>
  local name=$1 limit=$2 file=$3; shift 3
  local t0=$(date +%s)
  timeout "$limit" "$@" > "$out/$file" 2> "$out/${file%.json}.log"
  local rc=$?
  echo "$name rc=$rc $(( $(date +%s) - t0 ))s (total $(( $(date +%s) - start ))s)"; tail -3 "$out/${file%.json}.log"
}
step fused-parity 150 fused-parity.json "$node" bench/fused-parity.mjs --require --train-steps 3
step profile-step 200 profile-step-webgpu.json "$node" bench/profile-step.mjs --backend webgpu \
  --arch mobilenetv4_conv_small --size 64 --batch 64 --steps 3 --warmup 2 --grad-clip 1 --ema 0.9998 \
  --modes fused,fused-no-bn,unfused
step step-metrics 120 step-metrics-webgpu.json "$node" bench/step-metrics.mjs --backend webgpu \
  --arch mobilenetv4_conv_small --size 64 --batch 64 --steps 6 --warmup 2 --rounds 2
step throughput-webgpu 210 throughput-webgpu.json "$node" bench/train-throughput.mjs --backend webgpu \
  --arch mobilenetv4_conv_small --size 32,64,224 --max-step-seconds 60 --train-seconds 6 --infer-seconds 0.5 --warmup 2
step throughput-wasm 100 throughput-wasm-host-cpu.json "$node" bench/train-throughput.mjs --backend wasm \
  --arch mobilenetv4_conv_small --size 32,64 --max-step-seconds 60 --train-seconds 6 --infer-seconds 0.5 --warmup 2
if [ -n "$python" ]; then
  step torch-reference 120 torch-reference.json "$python" torch_reference.py --sizes 32,64,224 --batch 64 --steps 30
else
  echo '{"skipped": "no python with torch and CUDA on the device image"}' > "$out/torch-reference.json"
fi
"$node" summarize.mjs "$out"
echo "done in $(( $(date +%s) - start ))s"
