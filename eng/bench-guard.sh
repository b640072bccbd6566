#!/usr/bin/env bash
# A short guard of the hot paths (docs/benchmarks.md, "Guard"): runs `re4 bench scoring --json` and `re4 bench train --json`
# (ComiRec-SA and Re4, Beauty's shape, full softmax), computes ratios against references measured in the same run (the
# managed FMA peak, libtorch's product, our own ComiRec-SA step) and exits 1 when a ratio falls below its floor in
# eng/bench-floors.json (another file with BENCH_FLOORS=path). Not part of the default CI: its machines are noisy.
# Writes the raw JSON and the ratios to artifacts/bench-guard/.
set -euo pipefail
cd "$(dirname "$0")/.."

floors="${BENCH_FLOORS:-eng/bench-floors.json}"
out=artifacts/bench-guard
mkdir -p "$out"
command -v python3 >/dev/null || { echo "bench-guard: python3 is needed to read the JSON results"; exit 2; }

bash eng/install-prereqs.sh >/dev/null
dotnet build samples/Re4.Cli -c Release -v quiet -nologo >"$out/build.log" 2>&1 || { echo "bench-guard: the build failed (see $out/build.log)"; exit 2; }
re4="dotnet samples/Re4.Cli/bin/Release/net10.0/re4.dll"

echo "bench-guard: scoring (200,000 items, 256 users)"
$re4 bench scoring --items 200000 --users 256 --scorer both --repeat 3 --json >"$out/scoring.json"
for model in comirec-sa re4; do
  echo "bench-guard: training step ($model, full softmax, 40 steps)"
  $re4 --quiet bench train --model "$model" --sampler full --steps 40 --warmup 5 --json >"$out/train-$model.json"
done

python3 - "$floors" "$out" <<'PY'
import json, sys
floors_path, out = sys.argv[1], sys.argv[2]
floors = {k: v for k, v in json.load(open(floors_path)).items() if not k.startswith("_")}
scoring = json.load(open(f"{out}/scoring.json"))
sa = json.load(open(f"{out}/train-comirec-sa.json"))
re4 = json.load(open(f"{out}/train-re4.json"))
managed = scoring["scorers"]["managed"]
ratios = {
    "scoring_managed_to_fma_peak": managed["ratio_to_fma_peak"],
    "scoring_managed_to_matmul": managed["ratio_to_matmul"],
    "train_logits_to_fma_peak": sa["logits_to_fma_peak"],
    "train_step_to_matmul": sa["step_to_matmul"],
    "train_comirec_to_re4_step": sa["step_ms"] / re4["step_ms"],
}
missing = sorted(set(floors) - set(ratios))
if missing:
    print(f"bench-guard: {floors_path} names ratios this guard does not measure: {', '.join(missing)}")
    sys.exit(2)
json.dump(ratios, open(f"{out}/ratios.json", "w"), indent=2)
failed = 0
for name, value in ratios.items():
    floor = floors.get(name)
    verdict = "no floor" if floor is None else ("ok" if value >= floor else "BELOW FLOOR")
    failed += verdict == "BELOW FLOOR"
    print(f"{name:32} {value:8.3f}   floor {'-' if floor is None else f'{floor:.3f}':>6}   {verdict}")
print(f"cores used: scoring {managed['cores_used']:.2f}, comirec-sa {sa['cores_used']:.2f}, re4 {re4['cores_used']:.2f} (below the thread count: other processes took cores)")
print(f"samples/s: comirec-sa {sa['samples_per_second']:.0f}, re4 {re4['samples_per_second']:.0f}")
sys.exit(1 if failed else 0)
PY
