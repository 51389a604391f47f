#!/usr/bin/env bash
# Throughput benchmark: the colorize tool against the users' recipe (tests/recipe/recipe.py),
# side by side on this machine, same clip, same width, same full-size stand-in model.
#
#   benches/throughput.sh [CLIP]
#
# Runs, each as its own process, timed from start to exit (model loading included):
#   tool         target/release/colorize video CLIP --width W -o OUT.avi --frames-dir DIR
#                  --frame-format png --model-dir MODEL --profile [--end N] ARGS...
#                (once per configuration; PNG frames like the recipe's, lossless to compare)
#   recipe-4.6   recipe.py video under /usr/bin/python3 (Debian's python3-opencv)
#   recipe-pip   recipe.py video under a venv with pip's opencv-python-headless<5 and numpy
# and prints frames/s (frames written / wall seconds), keyframes and forward passes (tool runs), peak
# RSS, and the ratio of each tool
# configuration's frames/s to each recipe's, plus how close the tool's frames are to the
# recipe's (tests/recipe/compare.py on the PNG frames).
#
# Environment:
#   BENCH_FRAMES=N      only the first N frames (recipe --max-frames N, tool --end N)
#   BENCH_WIDTH=W       frame width (default 500)
#   BENCH_TOOL_ARGS     extra arguments for every tool run, e.g. "--backend openvino"
#   BENCH_CONFIGS       tool configurations separated by ';', one run each, e.g.
#                       "--backend opencv;--backend openvino;--backend opencv --exact" or, for the int8
#                       network against the defaults, "; --precision int8"
#                       (arguments split on blanks, no quoting); default: the defaults (OpenVINO where
#                       built), the same with the network on every frame, OpenCV's own backend, and
#                       --exact: "; --keyframe-interval 1; --backend opencv; --exact"
#   BENCH_RUNS          which runs, any of "tool recipe-4.6 recipe-pip" (default all three)
#   BENCH_TOOL          colorize binary to time instead of building target/release/colorize
#   BENCH_MODEL_DIR     model folder to use instead of the generated full-size stand-in
#   BENCH_POINTS        pts_in_hull.npy for the recipe (default ../shared/model/pts_in_hull.npy)
#   BENCH_OUT           keep outputs and logs here (default: a temporary folder, removed)
#   COLORIZE_CACHE      cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/colorize); holds
#                       standin-full/ (the model) and bench-venv/ (the pip OpenCV venv)
#   PYTHON              interpreter to create the venv with (default python3)
set -euo pipefail

repo=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
cd "$repo"

clip=${1:-$repo/../shared/media/video/chaplin_moviepy.mp4}
width=${BENCH_WIDTH:-500}
frames_limit=${BENCH_FRAMES:-}
runs=${BENCH_RUNS:-tool recipe-4.6 recipe-pip}
cache=${COLORIZE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/colorize}
points=${BENCH_POINTS:-$repo/../shared/model/pts_in_hull.npy}
venv=$cache/bench-venv
recipe=$repo/tests/recipe/recipe.py
compare=$repo/tests/recipe/compare.py
sys_python=/usr/bin/python3

log() { printf '[bench] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
wants() { [[ " $runs " == *" $1 "* ]]; }

[[ -f $clip ]] || die "no clip at $clip"
[[ -f $points ]] || die "no cluster centres at $points (set BENCH_POINTS)"
clip=$(readlink -f "$clip")
[[ -z $frames_limit || $frames_limit =~ ^[1-9][0-9]*$ ]] || die "BENCH_FRAMES must be a positive integer"

if [[ -n ${BENCH_OUT:-} ]]; then
  out=$BENCH_OUT
  mkdir -p "$out"
else
  out=$(mktemp -d "${TMPDIR:-/tmp}/colorize-bench.XXXXXX")
  trap 'rm -rf "$out"' EXIT
fi

# --- the tool and the model ------------------------------------------------------------
tool=${BENCH_TOOL:-$repo/target/release/colorize}
standin=$cache/standin-full
tool_ok=0
if [[ -n ${BENCH_TOOL:-} ]]; then
  if [[ -x $tool ]]; then
    tool_ok=1
  elif wants tool; then
    log "BENCH_TOOL=$tool is not executable; tool runs are skipped"
  fi
fi
if [[ -z ${BENCH_TOOL:-} ]] && wants tool ||
   [[ -z ${BENCH_MODEL_DIR:-} && ! -f $standin/colorization_release_v2.caffemodel ]]; then
  log "building (release)"
  if cargo build --release --bins --example standin_model >"$out/build.log" 2>&1 && [[ -x $tool ]]; then
    tool_ok=1
  else
    log "release build failed or made no colorize binary, tool runs are skipped; end of $out/build.log:"
    tail -n 15 "$out/build.log" >&2
  fi
fi

if [[ -n ${BENCH_MODEL_DIR:-} ]]; then
  model=$(readlink -f "$BENCH_MODEL_DIR")
else
  model=$standin
  if [[ ! -f $model/colorization_release_v2.caffemodel || ! -f $model/colorization_deploy_v2.prototxt ]]; then
    [[ -x $repo/target/release/examples/standin_model ]] ||
      die "cannot build the stand-in model generator (set BENCH_MODEL_DIR)"
    log "writing the full-size stand-in model to $model"
    rm -rf "$model.tmp"
    mkdir -p "$cache"
    "$repo/target/release/examples/standin_model" "$model.tmp" >/dev/null
    mv "$model.tmp" "$model"
  fi
fi
prototxt=$model/colorization_deploy_v2.prototxt
caffemodel=$model/colorization_release_v2.caffemodel

# --- the two Pythons ---------------------------------------------------------------------
deb_ok=0
if wants recipe-4.6; then
  if "$sys_python" -c 'import cv2, numpy' 2>/dev/null; then
    deb_ok=1
  else
    log "no cv2 for $sys_python: apt-get install -y python3-opencv; recipe-4.6 skipped"
  fi
fi

pip_ok=0
if wants recipe-pip; then
  if [[ ! -x $venv/bin/python ]] || ! "$venv/bin/python" -c 'import cv2, numpy' 2>/dev/null; then
    log "creating $venv (pip: opencv-python-headless<5, numpy)"
    rm -rf "$venv"
    mkdir -p "$cache"
    if ! { "${PYTHON:-python3}" -m venv "$venv" &&
           "$venv/bin/pip" install -q 'opencv-python-headless<5' numpy; } >"$out/venv.log" 2>&1; then
      tail -n 15 "$out/venv.log" >&2
      rm -rf "$venv"
    fi
  fi
  if [[ -x $venv/bin/python ]]; then
    pip_ok=1
  else
    log "no venv (Debian's python3 needs: apt-get install -y python3-venv); recipe-pip skipped"
  fi
fi

# --- measuring one run ---------------------------------------------------------------------
# children_cpu VAR: sets VAR to the CPU seconds (user + system) used so far by this shell's
# waited-for children (`times` must run in this shell, not in a $(...) subshell).
children_cpu() {
  times >"$out/.times"
  printf -v "$1" '%s' "$(awk 'NR == 2 {
    for (i = 1; i <= 2; i++) { split($i, t, "m"); sub("s", "", t[2]); s += t[1] * 60 + t[2] }
    printf "%.2f", s }' "$out/.times")"
}

# measure NAME CMD...: runs CMD with stderr to $out/NAME.log;
# sets m_rc, m_wall (s), m_cpu (user + system s), m_rss (MiB).
measure() {
  local name=$1 start end cpu0 cpu1
  shift
  rm -rf "${out:?}/$name" "$out/$name.avi"
  children_cpu cpu0
  start=$(date +%s%N)
  if [[ -x /usr/bin/time ]]; then
    set +e
    /usr/bin/time -v -o "$out/$name.time" "$@" >"$out/$name.stdout" 2>"$out/$name.log"
    m_rc=$?
    set -e
    end=$(date +%s%N)
    m_rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$out/$name.time")
  else
    # No GNU time: poll the process's high-water mark (VmHWM) until it exits.
    local pid hwm=0 kb
    "$@" >"$out/$name.stdout" 2>"$out/$name.log" &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
      kb=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
      if [[ -n $kb ]] && ((kb > hwm)); then hwm=$kb; fi
      sleep 0.1
    done
    set +e
    wait "$pid"
    m_rc=$?
    set -e
    end=$(date +%s%N)
    m_rss=$((hwm / 1024))
  fi
  m_wall=$(awk -v s="$start" -v e="$end" 'BEGIN {printf "%.2f", (e - s) / 1e9}')
  children_cpu cpu1
  m_cpu=$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN {printf "%.1f", b - a}')
}

count_frames() { find "$1" -maxdepth 1 \( -name '*.png' -o -name '*.jpg' \) 2>/dev/null | wc -l; }

names=() labels=() fps=() walls=() cpus=() rsses=() nframes=() kinds=() keys=() passes=() busy=() forward_s=() networks=()
record() { # record NAME LABEL KIND FRAMES_DIR
  local n
  n=$(count_frames "$4")
  names+=("$1") labels+=("$2") kinds+=("$3") nframes+=("$n") walls+=("$m_wall") rsses+=("$m_rss")
  # The tool's summary: "colorized N frames (K keyframes: C computed, ...". The recipe runs the network on all.
  if [[ $3 == tool ]]; then
    keys+=("$(sed -n 's/.*frames (\([0-9]*\) keyframes.*/\1/p' "$out/$1.log" | tail -n 1)")
    passes+=("$(sed -n 's/.* keyframes: \([0-9]*\) computed.*/\1/p' "$out/$1.log" | tail -n 1)")
    # --profile: forward seconds per network over the film's run (model loading aside).
    busy+=("$(sed -n 's/.*network busy \([0-9]*\) %.*/\1 %/p' "$out/$1.log" | tail -n 1)")
    forward_s+=("$(sed -n 's/.* forward \([0-9.]*\) s,.*/\1/p' "$out/$1.log" | tail -n 1)")
    networks+=("$(sed -n 's/.*(\([0-9]*\) networks\{0,1\}).*/\1/p' "$out/$1.log" | tail -n 1)")
  else
    keys+=("$n") passes+=("$n") busy+=(-) forward_s+=(-) networks+=(-)
  fi
  cpus+=("$m_cpu")
  fps+=("$(awk -v n="$n" -v w="$m_wall" 'BEGIN {printf "%.3f", (w > 0) ? n / w : 0}')")
}
failed() { # failed NAME LABEL: tell, show the log's end, and keep a row for the table
  log "$2 exited with status $m_rc; last lines of its stderr:"
  tail -n 15 "$out/$1.log" >&2
  names+=("$1") labels+=("$2") kinds+=(failed) nframes+=(-) walls+=("$m_wall") rsses+=(-) fps+=("exit $m_rc")
  keys+=(-) passes+=(-) busy+=(-)
  cpus+=("$m_cpu")
}
passthrough() { tr '\r' '\n' <"$out/$1.log" | grep -E "^($2)" || true; }

# --- header --------------------------------------------------------------------------------
echo "== colorize throughput benchmark =="
echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)," \
  "$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
# What decides OpenVINO's speed: bfloat16 (AVX-512 BF16 or AMX) or f32 only.
# And for --precision int8: an 8-bit dot product (AVX-512 VNNI, AVX-VNNI or AMX), without which OpenVINO's int8
# sums saturate.
echo "CPU flags: $(grep -o -w 'avx2\|avx512_bf16\|amx_bf16\|avx512_vnni\|avx_vnni\|amx_int8' /proc/cpuinfo | sort -u | tr '\n' ' ')"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
if awk '{exit !($1 > 0.5)}' /proc/loadavg; then
  echo "warning: the machine is not idle; numbers will be low and noisy"
fi
echo "clip: $clip"
echo "width: $width, frames: ${frames_limit:-all}"
echo "model: $model ($(du -h "$caffemodel" | cut -f1))"
if ((tool_ok)); then
  echo "tool: $("$tool" --version 2>&1 | head -n 1)"
  dnn_lib=$(ldd "$tool" 2>/dev/null | awk '/libopencv_dnn/ {print $3; exit}' || true)
  if [[ -n $dnn_lib ]]; then echo "tool's OpenCV dnn library: $(readlink -f "$dnn_lib")"; fi
fi
((!deb_ok)) || echo "recipe-4.6: $("$sys_python" --version 2>&1), OpenCV $("$sys_python" -c 'import cv2; print(cv2.__version__)'), numpy $("$sys_python" -c 'import numpy; print(numpy.__version__)')"
((!pip_ok)) || echo "recipe-pip: $("$venv/bin/python" --version 2>&1), OpenCV $("$venv/bin/python" -c 'import cv2; print(cv2.__version__)') ($("$venv/bin/pip" list 2>/dev/null | awk '/^opencv-python/ {print $1 " " $2}')), numpy $("$venv/bin/python" -c 'import numpy; print(numpy.__version__)')"
echo

# --- the runs --------------------------------------------------------------------------------
deb_label="recipe, Debian OpenCV"
pip_label="recipe, pip OpenCV"
recipe_args=(video --prototxt "$prototxt" --caffemodel "$caffemodel" --points "$points" --width "$width")
[[ -z $frames_limit ]] || recipe_args+=(--max-frames "$frames_limit")

if wants tool && ((tool_ok)); then
  IFS=';' read -ra configs <<<"${BENCH_CONFIGS-; --keyframe-interval 1; --backend opencv; --exact}"
  ((${#configs[@]})) || configs=("")
  i=0
  for config in "${configs[@]}"; do
    i=$((i + 1))
    read -ra extra <<<"${BENCH_TOOL_ARGS:-} $config"
    name=tool-$i
    label="tool ${extra[*]:-(defaults)}"
    args=(video "$clip" --width "$width" -o "$out/$name.avi" --frames-dir "$out/$name"
          --frame-format png --model-dir "$model" --profile)
    [[ -z $frames_limit ]] || args+=(--end "$frames_limit")
    args+=("${extra[@]}")
    log "running $label"
    measure "$name" "$tool" "${args[@]}"
    echo "-- $label: $tool ${args[*]}"
    passthrough "$name" 'profile:|colorized '
    if ((m_rc == 0)); then record "$name" "$label" tool "$out/$name"; else failed "$name" "$label"; fi
  done
fi

if wants recipe-4.6 && ((deb_ok)); then
  log "running recipe under Debian's OpenCV"
  measure recipe-4.6 "$sys_python" "$recipe" "${recipe_args[@]}" --frames-dir "$out/recipe-4.6" \
    "$clip" "$out/recipe-4.6.avi"
  echo "-- recipe-4.6:"
  passthrough recipe-4.6 'recipe:'
  if ((m_rc == 0)); then record recipe-4.6 "$deb_label" recipe "$out/recipe-4.6"; else failed recipe-4.6 "$deb_label"; fi
fi

if wants recipe-pip && ((pip_ok)); then
  log "running recipe under pip's OpenCV"
  measure recipe-pip "$venv/bin/python" "$recipe" "${recipe_args[@]}" --frames-dir "$out/recipe-pip" \
    "$clip" "$out/recipe-pip.avi"
  echo "-- recipe-pip:"
  passthrough recipe-pip 'recipe:'
  if ((m_rc == 0)); then record recipe-pip "$pip_label" recipe "$out/recipe-pip"; else failed recipe-pip "$pip_label"; fi
fi

# --- the table ---------------------------------------------------------------------------------
[[ " ${kinds[*]:-} " == *" tool "* || " ${kinds[*]:-} " == *" recipe "* ]] || die "no run succeeded"
recipe_fps() {
  local k
  for k in "${!names[@]}"; do
    if [[ ${names[k]} == "$1" && ${kinds[k]} == recipe ]]; then echo "${fps[k]}"; fi
  done
  return 0
}
fps_deb=$(recipe_fps recipe-4.6)
fps_pip=$(recipe_fps recipe-pip)
ratio() { awk -v a="$1" -v b="${2:-0}" 'BEGIN {if (b > 0) printf "%.2fx", a / b; else print "-"}'; }

echo
printf '%-40s %6s %5s %7s %8s %8s %9s %8s %9s %8s %8s\n' run frames keys forward "wall s" "CPU s" frames/s "net busy" \
  "peak MiB" "vs 4.6" "vs pip"
for k in "${!names[@]}"; do
  r_deb=- r_pip=- rate=${fps[k]}
  if [[ ${kinds[k]} == tool ]]; then
    r_deb=$(ratio "${fps[k]}" "$fps_deb") r_pip=$(ratio "${fps[k]}" "$fps_pip")
  fi
  [[ ${kinds[k]} == failed ]] || rate=$(printf '%.2f' "${fps[k]}")
  printf '%-40s %6s %5s %7s %8s %8s %9s %8s %9s %8s %8s\n' "${labels[k]:0:40}" "${nframes[k]}" "${keys[k]:--}" \
    "${passes[k]:--}" "${walls[k]}" "${cpus[k]}" "$rate" "${busy[k]:--}" "${rsses[k]}" "$r_deb" "$r_pip"
done
echo "net busy = the network's share of the film's run: forward seconds summed over network threads / networks /"
echo "wall seconds of the film (from --profile; 100 % when the network never waits for the rest)"
echo "keys = keyframes, forward = forward passes (keyframes less repeats); the frames between get colour carried"
echo "along the motion. frames/s = frames written / wall seconds of the whole process (model loading included);"
echo "CPU s = its user + system seconds (less sensitive than wall time to other load on the machine)"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- the roofline -------------------------------------------------------------------------------
# What a forward pass achieves against what this machine's cores can do in float32: the network's operations at
# 224x224 (OpenCV's own count, multiply and add each one), over the forward seconds per pass on each network
# (networks run side by side), beside the peak a large float32 matrix product reaches in numpy's OpenBLAS on all
# cores (OPENBLAS_CORETYPE, which this workplace may set for old OpenBLAS builds, slows it and is unset for it).
# An int8 run (--precision int8) is held against four times that peak, what 8-bit dot products (VNNI: four
# multiply-adds in each 32-bit lane) promise on the same cores; no library at hand measures it.
roof_python=$venv/bin/python
((pip_ok)) || roof_python=$sys_python
gflops=$("$roof_python" -c "
import cv2, numpy as np
net = cv2.dnn.readNetFromCaffe('$prototxt', '$caffemodel')
# The recipe's two fixed layers, without which OpenCV cannot size the network.
pts = np.load('$points').transpose().reshape(2, 313, 1, 1).astype(np.float32)
net.getLayer(net.getLayerId('class8_ab')).blobs = [pts]
net.getLayer(net.getLayerId('conv8_313_rh')).blobs = [np.full([1, 313], 2.606, np.float32)]
print('%.1f' % (net.getFLOPS((1, 1, 224, 224)) / 1e9))" 2>/dev/null || true)
peak=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$roof_python" -c "
import time, numpy as np
a = np.random.rand(3072, 3072).astype(np.float32)
best = min((lambda t: (a @ a, time.perf_counter() - t)[1])(time.perf_counter()) for _ in range(5))
print('%.0f' % (2 * 3072 ** 3 / best / 1e9))" 2>/dev/null || true)
# A run that names DDColor's file (--onnx FILE) counts that network's operations at the side its file fixes, which
# colorize's own check of the file says.
run_gflops() {
  local whole=$1 file side
  if [[ $whole =~ --onnx[[:space:]]+([^[:space:]]+) ]]; then
    file=${BASH_REMATCH[1]}
    side=$("$tool" fetch-model --model ddcolor --onnx "$file" 2>&1 | sed -n 's/.* \([0-9]*\)x\1 pictures in.*/\1/p')
    [[ -n $side ]] && "$roof_python" -c "
import cv2
print('%.1f' % (cv2.dnn.readNetFromONNX('$file').getFLOPS((1, 3, $side, $side)) / 1e9))" 2>/dev/null
  else
    echo "$gflops"
  fi
}
if [[ -n $gflops && -n $peak ]]; then
  echo
  echo "roofline: the 2016 network is $gflops GFLOP a pass at 224x224; float32 peak here (numpy sgemm, all cores): $peak GFLOP/s"
  for k in "${!names[@]}"; do
    [[ ${kinds[k]} == tool && -n ${forward_s[k]} && -n ${networks[k]} && ${passes[k]:-0} -gt 0 ]] || continue
    g=$(run_gflops "${labels[k]}")
    [[ -n $g ]] || continue
    awk -v f="${forward_s[k]}" -v n="${networks[k]}" -v p="${passes[k]}" -v g="$g" -v peak="$peak" \
      -v label="${labels[k]:0:40}" -v whole="${labels[k]}" 'BEGIN {
        per = f / p; rate = g * p / (f / n)
        if (whole ~ /--precision int8/) { peak *= 4; of = "the int8 peak (4x float32)" } else { of = "the peak" }
        printf "  %-40s %.3f s a pass of %.1f GFLOP on each of %d networks, %.0f GFLOP/s together: %.0f %% of %s\n",
          label, per, g, n, rate, 100 * rate / peak, of }'
  done
fi

# --- fidelity against the recipe ----------------------------------------------------------------
ref=
if [[ -n $fps_deb ]]; then ref="recipe-4.6"; elif [[ -n $fps_pip ]]; then ref="recipe-pip"; fi
cmp_python=$sys_python
((deb_ok)) || cmp_python=$venv/bin/python
if [[ -n $ref && ${#names[@]} -gt 1 ]]; then
  echo
  echo "fidelity against the frames of $ref (tests/recipe/compare.py):"
  for k in "${!names[@]}"; do
    if [[ ${names[k]} == "$ref" || ${kinds[k]} == failed ]]; then continue; fi
    line=$("$cmp_python" "$compare" --brief "$out/${names[k]}" "$out/$ref" 2>&1 | tail -n 1 || true)
    printf '  %-40s %s\n' "${labels[k]:0:40}" "$line"
  done
fi

if [[ -n ${BENCH_OUT:-} ]]; then printf '\noutputs and logs kept in %s\n' "$out"; fi
exit 0
