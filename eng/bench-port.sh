#!/usr/bin/env bash
# Side-by-side benchmark of our training step against our own PyTorch port of it (issue 14; docs/benchmarks.md,
# "Against a PyTorch port (issue 14)"). Builds nothing: build the CLI first (dotnet build samples/Re4.Cli -c Release).
# For each round and model, alternating, runs
#   re4 bench train --model M --threads T --steps 200 --warmup 20 --json      (our step, Beauty-shaped synthetic data)
#   python3 benchmarks/python/port_step.py --model M --threads T --steps 200 --warmup 20 --json
# and prints one table: CPU ms/step and wall ms/step of each, and the ratios port / ours (above 1: ours is faster).
#
# Usage: eng/bench-port.sh [--rounds R] [--threads T] [--models comirec-sa,re4]
# Environment: PYTHON (default python3) must import torch (Debian 12: python3-torch, see docs/benchmarks.md);
# STEPS and WARMUP (default 200 and 20) for both sides; PORT_STEPS and PORT_WARMUP override them for the port alone
# (short checks); BENCH_PORT_OUT (default artifacts/bench-port) receives every run's JSON.
# Exit codes: 0 done, 1 a prerequisite is missing (torch, the built CLI) or a run failed, 2 usage error.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=3
threads=1
models=comirec-sa,re4
usage() { echo "usage: eng/bench-port.sh [--rounds R] [--threads T] [--models comirec-sa,re4]" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) [ $# -ge 2 ] || usage; rounds="$2"; shift 2 ;;
    --threads) [ $# -ge 2 ] || usage; threads="$2"; shift 2 ;;
    --models) [ $# -ge 2 ] || usage; models="$2"; shift 2 ;;
    -h|--help) usage ;;
    *) echo "bench-port: unknown argument '$1'" >&2; usage ;;
  esac
done
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "bench-port: --rounds expects a positive integer, not '$rounds'" >&2; exit 2; }
[[ "$threads" =~ ^[1-9][0-9]*$ ]] || { echo "bench-port: --threads expects a positive integer, not '$threads'" >&2; exit 2; }
IFS=, read -r -a model_list <<<"$models"
for m in "${model_list[@]}"; do
  case "$m" in comirec-sa|re4) ;; *) echo "bench-port: --models takes comirec-sa and/or re4, not '$m'" >&2; exit 2 ;; esac
done

steps="${STEPS:-200}"
warmup="${WARMUP:-20}"
port_steps="${PORT_STEPS:-$steps}"
port_warmup="${PORT_WARMUP:-$warmup}"
python="${PYTHON:-python3}"
dll=samples/Re4.Cli/bin/Release/net10.0/re4.dll
out="${BENCH_PORT_OUT:-artifacts/bench-port}"

if ! command -v "$python" >/dev/null; then
  echo "bench-port: '$python' was not found; set PYTHON to a Python 3 with torch (docs/benchmarks.md, 'Against a PyTorch port')." >&2
  exit 1
fi
if ! torch_version=$("$python" -c 'import torch; print(torch.__version__)' 2>&1); then
  echo "bench-port: $python cannot import torch:" >&2
  echo "$torch_version" | tail -n 1 >&2
  echo "Install it (Debian 12: apt-get install --no-install-recommends python3-torch, or unpack it as docs/benchmarks.md," >&2
  echo "'Against a PyTorch port', shows and set PYTHONPATH/LD_LIBRARY_PATH), or point PYTHON at a Python that has it." >&2
  exit 1
fi
if [ ! -f "$dll" ]; then
  echo "bench-port: $dll is missing; build it first: dotnet build samples/Re4.Cli -c Release" >&2
  exit 1
fi

# Both processes get the same thread limits (libtorch's, OpenMP's and the BLAS's).
export OMP_NUM_THREADS="$threads" OPENBLAS_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads"
mkdir -p "$out"
results="$out/results.jsonl"
: >"$results"

echo "bench-port: $rounds round(s), models $models, $threads thread(s); ours $steps steps after $warmup, port $port_steps after $port_warmup; torch $torch_version ($python)" >&2
for round in $(seq 1 "$rounds"); do
  for m in "${model_list[@]}"; do
    echo "bench-port: round $round, $m: ours" >&2
    if ! dotnet "$dll" --quiet bench train --model "$m" --threads "$threads" --steps "$steps" --warmup "$warmup" --json >"$out/ours-$m-$round.json"; then
      echo "bench-port: re4 bench train failed (round $round, $m)" >&2; exit 1
    fi
    # The port takes our run's shapes (the items our synthetic data holds, B, K, d, L), so both do the same work.
    shape=$("$python" -c 'import json, sys; r = json.load(open(sys.argv[1])); print(r["items"], r["batch_size"], r["interests"], r["dim"], r["max_len"])' "$out/ours-$m-$round.json")
    read -r items batch interests dim max_len <<<"$shape"
    echo "bench-port: round $round, $m: port" >&2
    if ! "$python" benchmarks/python/port_step.py --model "$m" --threads "$threads" --steps "$port_steps" --warmup "$port_warmup" \
        --items "$items" --batch-size "$batch" --interests "$interests" --dim "$dim" --max-len "$max_len" --json >"$out/port-$m-$round.json"; then
      echo "bench-port: the port failed (round $round, $m; exit 3 means a non-finite loss)" >&2; exit 1
    fi
    printf '{"round": %d, "model": "%s", "ours": %s, "port": %s}\n' "$round" "$m" "$(cat "$out/ours-$m-$round.json")" "$(cat "$out/port-$m-$round.json")" >>"$results"
  done
done

# The table (python3 only reads JSON here; any Python 3 will do).
"$python" - "$results" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
port0 = rows[0]["port"]
print(f"port: torch {port0['torch_version']}, BLAS {port0['blas']} ({port0['blas_library']}), {port0['threads']} thread(s); "
      f"ours: {rows[0]['ours']['threads']} thread(s), allocator {rows[0]['ours'].get('allocator')}; "
      f"{port0['items']:,} items, B {port0['batch_size']}, K {port0['interests']}, d {port0['dim']}, L {port0['max_len']}, full softmax")
print()
print("| model | round | ours CPU ms/step | port CPU ms/step | CPU ratio (port / ours) | ours wall ms/step | port wall ms/step | wall ratio (port / ours) | ours samples/s | port samples/s |")
print("|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    o, p = r["ours"], r["port"]
    print(f"| {r['model']} | {r['round']} | {o['cpu_ms_per_step']:.2f} | {p['cpu_ms_per_step']:.2f} | {p['cpu_ms_per_step'] / o['cpu_ms_per_step']:.2f}x "
          f"| {o['step_ms']:.2f} | {p['step_ms']:.2f} | {p['step_ms'] / o['step_ms']:.2f}x | {o['samples_per_second']:.0f} | {p['samples_per_second']:.0f} |")
print()
for model in dict.fromkeys(r["model"] for r in rows):
    mine = [r for r in rows if r["model"] == model]
    cpu = statistics.median(r["port"]["cpu_ms_per_step"] / r["ours"]["cpu_ms_per_step"] for r in mine)
    wall = statistics.median(r["port"]["step_ms"] / r["ours"]["step_ms"] for r in mine)
    print(f"{model}: median over {len(mine)} round(s): CPU ratio {cpu:.2f}x, wall ratio {wall:.2f}x (port / ours)")

# Where the time goes, wall ms per step averaged over the rounds. Ours: every phase of `bench train` but sampling,
# backward and optimizer counts as forward (the batch's tensors, embedding gather, extractor, main loss, flows).
print()
print("| model | phase | ours wall ms/step | port wall ms/step | ratio (port / ours) |")
print("|---|---|---|---|---|")
for model in dict.fromkeys(r["model"] for r in rows):
    mine = [r for r in rows if r["model"] == model]
    def ours_phase(r, name):
        phases = r["ours"]["phases"]
        if name == "forward":
            return sum(p["ms"] for p in phases if p["phase"] not in ("sampling", "backward", "optimizer"))
        return sum(p["ms"] for p in phases if p["phase"] == name)
    for name in ("forward", "backward", "optimizer"):
        o = statistics.mean(ours_phase(r, name) for r in mine)
        p = statistics.mean(r["port"]["phase_ms"][name] for r in mine)
        print(f"| {model} | {name} | {o:.2f} | {p:.2f} | {p / o:.2f}x |")
    detail = {}
    for r in mine:
        for ph in r["ours"]["phases"]:
            label = ph["name"] if ph["phase"] != "flow" else f"flow {ph['name']}"
            detail[label] = detail.get(label, 0.0) + ph["ms"] / len(mine)
    print(f"| {model} | ours in detail | " + ", ".join(f"{k} {v:.2f}" for k, v in detail.items()) + " | | |")
PY
