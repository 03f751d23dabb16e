#!/usr/bin/env bash
# Prepares `.gpu/` (git-ignored via .git/info/exclude) for a GPU check on a machine with no network
# and no Node: the benches bundled with esbuild, a pruned node_modules with only the tfjs packages
# and the Dawn (`webgpu`) binding for linux-x64, the local node binary (xz), and the Vulkan loader
# .debs. The whole folder stays well under the device tool's 64 MiB carry limit.
#
#   bash bench/gpu/prepare-carry.sh && device run --carry .gpu 'bash .gpu/run.sh'
#
# Needs: `npm ci` done here, network to the npm registry (webgpu, tfjs-backend-webgpu are fetched
# with `npm pack`, not installed) and Debian's apt (libvulkan1).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=.gpu
rm -rf "$out" && mkdir -p "$out/bench" "$out/node_modules/@tensorflow" "$out/debs" /tmp/gpu-pack
grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >> .git/info/exclude

# 1. The benches, bundled; tfjs and Dawn stay external so one tfjs-core instance is shared
#    (esbuild and playwright-core too: only the --browser mode, never used there, loads them).
for bench in backend-parity train-throughput gpu/fused-parity gpu/profile-step gpu/step-metrics; do
  node_modules/.bin/esbuild "bench/$bench.bench.ts" --bundle --platform=node --format=esm \
    --target=node20 --external:@tensorflow/* --external:webgpu --external:esbuild --external:playwright-core \
    --log-level=warning \
    --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" \
    --outfile="$out/bench/$(basename "$bench").mjs"
done

# 2. Pruned packages: package.json + the Node entry (`main`) + what it loads at run time.
keep() { # <package dir> <files...>
  local pkg=$1; shift
  mkdir -p "$out/node_modules/$pkg"
  (cd "$src" && cp --parents "$pkg/package.json" "$@" "$OLDPWD/$out/node_modules/" 2>/dev/null) || true
  for f in "$@"; do (cd "$src" && cp --parents "$f" "$OLDPWD/$out/node_modules/"); done
}
src=node_modules
for p in tfjs-core tfjs-layers tfjs-backend-cpu; do
  keep "@tensorflow/$p" "@tensorflow/$p/$(node -p "require('./node_modules/@tensorflow/$p/package.json').main")"
done
keep @tensorflow/tfjs-backend-wasm @tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.node.js \
  @tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm @tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm \
  @tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm
for dep in seedrandom long node-fetch whatwg-url tr46 webidl-conversions; do
  [ -d "node_modules/$dep" ] && cp -r "node_modules/$dep" "$out/node_modules/"
done
# Packs that are not in this workspace's lockfile.
(cd /tmp/gpu-pack && npm pack --silent webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0 >/dev/null)
mkdir -p "$out/node_modules/webgpu" "$out/node_modules/@tensorflow/tfjs-backend-webgpu"
tar xzf /tmp/gpu-pack/webgpu-0.6.2.tgz -C "$out/node_modules/webgpu" --strip-components=1 \
  --exclude='package/dist/win32*' --exclude='package/dist/darwin*' --exclude='package/dist/linux-arm64*'
tar xzf /tmp/gpu-pack/tensorflow-tfjs-backend-webgpu-4.22.0.tgz -C "$out/node_modules/@tensorflow/tfjs-backend-webgpu" \
  --strip-components=1 --wildcards 'package/package.json' 'package/dist/tf-backend-webgpu.node.js'
xz -T2 -6 -c "$(readlink -f "$(command -v node)")" > "$out/node.xz"

# 3. The Vulkan loader (the NVIDIA driver's ICD is on the machine; the loader is not).
o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
mkdir -p /tmp/amd64/partial
apt-get $o update -qq >/dev/null
(cd "$out/debs" && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 >/dev/null)

cp bench/gpu/run.sh bench/gpu/summarize.mjs bench/gpu/torch_reference.py "$out/"
# The plain-PyTorch MobileNetV4 port, for a device image with torch but without timm.
peer=../shared/peers/mnv4_torch.py
[ -f "$peer" ] && cp "$peer" "$out/"
du -sh "$out"
