#!/usr/bin/env bash
# What a refinish costs against the run it refinishes: a film of three shots (Chaplin's first 120 frames, the
# cyclists' longest shot, Chaplin's last 121 mirrored), colorized at width 500, then run again with 20 hints on
# the middle shot, which is all that is painted again; repeated, each pair from a fresh frames folder.
#
#   benches/refinish.sh
#
# Environment: BENCH_TOOL (default target/release/colorize), BENCH_MODEL_DIR (required: a model folder, such as
# the full-size stand-in that `target/release/examples/standin_model DIR` writes), BENCH_REPEAT (default 3).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
tool=${BENCH_TOOL:-$repo/target/release/colorize}
model=${BENCH_MODEL_DIR:?set BENCH_MODEL_DIR to a model folder (target/release/examples/standin_model DIR writes one)}
repeat=${BENCH_REPEAT:-3}
media=$repo/../shared/media
out=$(mktemp -d "${TMPDIR:-/tmp}/colorize-refinish-bench.XXXXXX")
trap 'rm -rf "$out"' EXIT

shot() { echo "[$1:v]trim=start_frame=$2:end_frame=$3,setpts=PTS-STARTPTS,scale=640:360,setsar=1$4[$5]"; }
ffmpeg -v error -y -i "$media/video/chaplin_moviepy.mp4" -i "$media/video/bikes.mp4" -filter_complex \
  "$(shot 0 0 120 '' a);$(shot 1 76 137 '' b);$(shot 0 120 241 ',hflip' c);[a][b][c]concat=n=3:v=1[v]" \
  -map '[v]' -r 25 -c:v libx264 -pix_fmt yuv420p "$out/three.mp4"
{
  echo "x,y,colour,frame"
  awk 'BEGIN { srand(3); for (i = 0; i < 20; i++) printf "%d,%d,#%02x%02x%02x,150\n", int(rand() * 640),
    int(rand() * 360), int(rand() * 256), int(rand() * 256), int(rand() * 256) }'
} >"$out/hints.csv"

# Seconds one run of the tool takes.
timed() {
  local start end
  start=$(date +%s.%N)
  "$tool" video "$out/three.mp4" --width 500 -o "$out/three.avi" --frames-dir "$out/frames" --model-dir "$model" \
    --no-audio "$@" >/dev/null 2>"$out/last.log" || { cat "$out/last.log" >&2; exit 1; }
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}

echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores," \
  "flags: $(grep -o -w 'avx2\|avx512_bf16\|amx_bf16' /proc/cpuinfo | sort -u | xargs)"
for _ in $(seq "$repeat"); do
  rm -rf "$out/frames" "$out/three.avi"
  first=$(timed)
  again=$(timed --hints "$out/hints.csv")
  line=$(grep -o 'refinishing: .*' "$out/last.log" || echo "no refinishing line")
  passes=$(grep -o '[0-9]* forward passes' "$out/last.log" || echo "?")
  printf 'first run %6.2f s, rerun with hints %6.2f s (%.0f %%): %s; %s\n' "$first" "$again" \
    "$(echo "100 * $again / $first" | bc -l)" "$passes" "$line"
done
