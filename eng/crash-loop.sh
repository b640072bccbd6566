#!/usr/bin/env bash
# Out-of-process crash loop of `re4 train` (issue 11): trains one run uninterrupted, then the same run again while
# killing it with SIGKILL at random moments (many of them inside a checkpoint save) and resuming it each time, and
# checks that the final model/model.bin and metrics.json (but for the timing keys) equal the uninterrupted run's.
# Not part of CI (it takes a few minutes). Usage: bash eng/crash-loop.sh [KILLS=20] [WORKDIR=a new temporary folder]
# Needs a Release build: dotnet build samples/Re4.Cli -c Release.
set -euo pipefail
cd "$(dirname "$0")/.."
kills=${1:-20}
work=${2:-$(mktemp -d)}
re4=(dotnet samples/Re4.Cli/bin/Release/net10.0/re4.dll)
export OMP_NUM_THREADS=1
# Validation (and so a save of model/ and resume/) every 10 steps: a kill often lands in a save.
args=(train --data synthetic --model comirec-sa --dim 16 --interests 2 --batch-size 32 --negatives 64 --max-steps 4000 --eval-every 10 --seed 7 --quiet)

"${re4[@]}" "${args[@]}" --out "$work/expected" > /dev/null
RANDOM=11
done_kills=0
attempts=0
while true; do
  attempts=$((attempts + 1))
  if [ -d "$work/run/resume" ] || [ -d "$work/run/.resume.old" ]; then mode=(--resume); else rm -rf "$work/run"; mode=(); fi
  if [ "$done_kills" -ge "$kills" ]; then
    "${re4[@]}" "${args[@]}" "${mode[@]}" --out "$work/run" > /dev/null
    break
  fi
  "${re4[@]}" "${args[@]}" "${mode[@]}" --out "$work/run" > /dev/null 2>"$work/stderr" &
  pid=$!
  # 1.5 to 4.5 s: past the start-up (about 1.5 s), somewhere in the training.
  sleep "$(printf '1.%03d' $((RANDOM % 1000)))"; sleep "$((RANDOM % 3))"
  if kill -9 "$pid" 2>/dev/null; then
    wait "$pid" 2>/dev/null || true
    done_kills=$((done_kills + 1))
    leftovers=$( (find "$work/run" -maxdepth 1 -name '.*' 2>/dev/null || true) | wc -l)
    echo "kill $done_kills (attempt $attempts): pid $pid killed; $leftovers hidden leftovers in the run folder"
  else
    wait "$pid" || { echo "attempt $attempts: re4 failed:"; cat "$work/stderr"; exit 1; }
    echo "attempt $attempts: the run finished before the kill"
    [ "$done_kills" -ge "$kills" ] && break
    rm -rf "$work/run"   # too few kills yet: the same run again from the start

  fi
done

strip() { grep -v -E '"(train_seconds|train_samples_per_second|load_seconds|evaluate_seconds)"' "$1"; }
status=0
if cmp -s "$work/expected/model/model.bin" "$work/run/model/model.bin"; then echo "model.bin: byte-identical to the uninterrupted run's"; else echo "model.bin: DIFFERS"; status=1; fi
if diff <(strip "$work/expected/metrics.json") <(strip "$work/run/metrics.json") > /dev/null; then echo "metrics.json: equal (but for timings)"; else echo "metrics.json: DIFFERS"; status=1; fi
echo "$done_kills kills in $attempts starts; work folder $work"
exit $status
