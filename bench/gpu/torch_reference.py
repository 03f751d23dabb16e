"""PyTorch reference for bench/gpu: MobileNetV4-conv-small train img/s on the same card.

timm's `mobilenetv4_conv_small` when timm imports, else the plain-PyTorch port of the peer script
(`mnv4_torch.py`, carried next to this file by prepare-carry.sh). fp32, batch 64, AdamW (lr 1e-3,
weight decay 0.05), cross-entropy with label smoothing 0.1, gradient clipping by global norm 1
(as the engine's profile), loss read back every step (as the engine's trainer does).

Usage: python3 torch_reference.py --sizes 32,64,224 [--batch 64] [--steps 30] [--device cuda]
Prints one JSON object; exits 2 (with a JSON reason) when torch or the device is missing.
"""
import argparse, json, os, sys, time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", default="32,64,224")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--device", default="cuda")
    p.add_argument("--classes", type=int, default=10)
    a = p.parse_args()
    try:
        import torch
        from torch import nn
    except Exception as e:  # noqa: BLE001 - report any import failure
        print(json.dumps({"skipped": f"no torch: {e}"}))
        sys.exit(2)
    if a.device == "cuda" and not torch.cuda.is_available():
        print(json.dumps({"skipped": f"torch {torch.__version__} sees no CUDA device"}))
        sys.exit(2)
    try:
        import timm

        def build():
            return timm.create_model("mobilenetv4_conv_small", num_classes=a.classes), f"timm-{timm.__version__}"
    except Exception:  # noqa: BLE001
        here = os.path.dirname(os.path.abspath(__file__))
        # Next to this file on the device (prepare-carry.sh copies it), else the workspace's peers/.
        sys.path[:0] = [here, os.path.join(here, "..", "..", "..", "shared", "peers")]
        from mnv4_torch import mnv4_conv_small

        def build():
            return mnv4_conv_small(a.classes), "mnv4_torch.py port (no timm)"

    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    dev = torch.device(a.device)
    results = []
    for size in [int(s) for s in a.sizes.split(",")]:
        torch.manual_seed(0)
        model, source = build()
        model = model.to(dev).train()
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
        lossf = nn.CrossEntropyLoss(label_smoothing=0.1)
        x = torch.randn(a.batch, 3, size, size, device=dev)
        y = torch.randint(0, a.classes, (a.batch,), device=dev)

        def step():
            opt.zero_grad(set_to_none=True)
            loss = lossf(model(x), y)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            return loss.item()

        for _ in range(a.warmup):
            step()
        if dev.type == "cuda":
            torch.cuda.synchronize()
        t = time.perf_counter()
        for _ in range(a.steps):
            step()
        if dev.type == "cuda":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - t
        results.append({"size": size, "batch": a.batch, "steps": a.steps,
                        "msPerStep": round(1000 * seconds / a.steps, 3),
                        "trainImgPerSec": round(a.steps * a.batch / seconds, 1)})
    print(json.dumps({
        "framework": f"pytorch-{torch.__version__}", "model": source, "device": a.device,
        "deviceName": torch.cuda.get_device_name(0) if dev.type == "cuda" else "cpu",
        "precision": "fp32 (TF32 off)", "results": results,
    }))


if __name__ == "__main__":
    main()
