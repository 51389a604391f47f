#!/usr/bin/env bash
# What colour hints cost: the same command with and without hints, interleaved, each as its own process timed
# from start to exit.
#
#   benches/hints.sh
#
#   photo  a 2048x1524 picture (../shared/media/color/kodim23.png enlarged), 200 hints at seeded random points
#   film   chaplin_moviepy.mp4 at width 500 (one shot: 20 hints on frame 120), and bikes.mp4 at width 500 (six
#          shots: 20 hints on the middle frame of each), hints followed through their shots
#
# Environment: BENCH_TOOL (default target/release/colorize), BENCH_MODEL_DIR (required: a model folder, such as
# the full-size stand-in that `target/release/examples/standin_model DIR` writes), BENCH_REPEAT (default 3).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
tool=${BENCH_TOOL:-$repo/target/release/colorize}
model=${BENCH_MODEL_DIR:?set BENCH_MODEL_DIR to a model folder (target/release/examples/standin_model DIR writes one)}
repeat=${BENCH_REPEAT:-3}
media=$repo/../shared/media
out=$(mktemp -d "${TMPDIR:-/tmp}/colorize-hints-bench.XXXXXX")
trap 'rm -rf "$out"' EXIT

# `count` hints at seeded random points of a width x height picture, on `frame` when given.
hints() {
  local count=$1 width=$2 height=$3 seed=$4 frame=${5:-}
  awk -v n="$count" -v w="$width" -v h="$height" -v seed="$seed" -v frame="$frame" 'BEGIN {
    srand(seed); printf "x,y,colour%s\n", (frame == "" ? "" : ",frame")
    for (i = 0; i < n; i++) {
      printf "%d,%d,#%02x%02x%02x%s\n", int(rand() * w), int(rand() * h), int(rand() * 256), int(rand() * 256),
        int(rand() * 256), (frame == "" ? "" : "," frame)
    }
  }'
}

# Seconds one run of the tool takes, into an empty $out/run (a rerun into the same frames would resume).
timed() {
  local start end
  rm -rf "$out/run"
  start=$(date +%s.%N)
  "$tool" "$@" --model-dir "$model" --overwrite -q >/dev/null 2>"$out/last.log" || { cat "$out/last.log" >&2; exit 1; }
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}

# Runs `name` without and with `--hints file`, interleaved, and prints both medians and their ratio.
compare() {
  local name=$1 file=$2; shift 2
  local plain=() hinted=()
  for _ in $(seq "$repeat"); do
    plain+=("$(timed "$@")")
    hinted+=("$(timed "$@" --hints "$file")")
  done
  local a b
  a=$(printf '%s\n' "${plain[@]}" | sort -n | sed -n "$(((repeat + 1) / 2))p")
  b=$(printf '%s\n' "${hinted[@]}" | sort -n | sed -n "$(((repeat + 1) / 2))p")
  printf '%-8s without %6.2f s  with %6.2f s  (+%.2f s, %.2fx)   runs: %s / %s\n' "$name" "$a" "$b" \
    "$(echo "$b - $a" | bc)" "$(echo "$b / $a" | bc -l)" "${plain[*]}" "${hinted[*]}"
}

echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores," \
  "flags: $(grep -o -w 'avx2\|avx512_bf16\|amx_bf16' /proc/cpuinfo | sort -u | xargs)"

ffmpeg -v error -y -i "$media/color/kodim23.png" -vf scale=2048:1524 "$out/photo.png"
hints 200 2048 1524 7 >"$out/photo.csv"
compare photo "$out/photo.csv" image "$out/photo.png" -o "$out/run"

hints 20 640 360 8 120 >"$out/chaplin.csv"
compare chaplin "$out/chaplin.csv" video "$media/video/chaplin_moviepy.mp4" --width 500 -o "$out/run/chaplin.avi" \
  --frames-dir "$out/run/chaplin"

for frame in 15 53 106 162 214 246; do
  hints 20 640 272 "$frame" "$frame" | sed "1{/^x/d}" >>"$out/bikes.rows"
done
{ echo "x,y,colour,frame"; cat "$out/bikes.rows"; } >"$out/bikes.csv"
compare bikes "$out/bikes.csv" video "$media/video/bikes.mp4" --width 500 -o "$out/run/bikes.avi" \
  --frames-dir "$out/run/bikes"
