#!/usr/bin/env bash
# scripts/build_bench.sh (run as `scripts/bench --build [--profile P] [--warm] [--rev REV]
# [--touch PATH]... [--target-dir DIR] [-- CARGO-ARGS...]`): a newcomer's first build, measured. Clones this repository's HEAD, or REV
# (what is committed, nothing of the work tree: --rev for a before/after with the same method),
# into a temporary directory and builds it there with
#   cargo build --profile P --locked --timings [CARGO-ARGS...]        (P: release unless given)
# from an empty target directory and an empty CARGO_HOME, so the figure includes downloading the
# crates, as a fresh clone's first build does (--warm: the user's CARGO_HOME instead, crates
# already downloaded). Then touches src/lib.rs and builds again (an edit's rebuild); with --touch PATH
# (repeatable, a path in the clone, e.g. src/cmds/show.rs or crates/proto/src/sdp.rs) touches each
# PATH in turn instead, a rebuild after each. --target-dir DIR builds there (emptied first, removed
# after) instead of in the temporary directory. Prints the
# load average before it starts (a figure from a busy machine is not a figure), the wall and CPU
# time of both builds from /usr/bin/time, the binary's size, the units by time from cargo's
# `--timings` report and their sum, and where the report was kept. Holds
# /tmp/camscan-bench.lock for the whole run so that no other bench of this repository overlaps it.
# No network but the crate registry; no root.
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE=release WARM=0 REV=HEAD EXTRA=() TOUCH=() TARGET=
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) PROFILE=${2:?--profile P}; shift 2 ;;
    --warm) WARM=1; shift ;;
    --rev) REV=${2:?--rev REV}; shift 2 ;;
    --touch) TOUCH+=("${2:?--touch PATH}"); shift 2 ;;
    --target-dir) TARGET=${2:?--target-dir DIR}; shift 2 ;;
    --) shift; EXTRA=("$@"); break ;;
    *) echo "usage: scripts/bench --build [--profile P] [--warm] [--rev REV] [--touch PATH]... [--target-dir DIR] [-- CARGO-ARGS...]" >&2; exit 2 ;;
  esac
done
exec 9>/tmp/camscan-bench.lock
flock 9
WORK=$(mktemp -d /tmp/camscan-build-XXXXXX)
if [ -n "$TARGET" ]; then
  TARGET=$(realpath -m "$TARGET")
  rm -rf "$TARGET"
  trap 'rm -rf "$WORK" "$TARGET"' EXIT
else
  TARGET=$WORK/target
  trap 'rm -rf "$WORK"' EXIT
fi
git clone --quiet --no-hardlinks "$PWD" "$WORK/src"
git -C "$WORK/src" checkout --quiet "$(git rev-parse --verify "$REV^{commit}")"
git -C "$WORK/src" log -1 --format='commit %h %s' | cut -c1-100
if [ "$WARM" = 0 ]; then export CARGO_HOME=$WORK/cargo-home; fi
export CARGO_TARGET_DIR=$TARGET
unset RUSTC_WORKSPACE_WRAPPER RUSTFLAGS CARGO_INCREMENTAL CARGO_BUILD_JOBS
echo "profile $PROFILE, crates $([ "$WARM" = 1 ] && echo 'already downloaded' || echo 'downloaded in the build')," \
  "cargo args: ${EXTRA[*]:-(none)}; $(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
cd "$WORK/src"
build() {
  local what=$1
  shift
  /usr/bin/time -f "%e %U %S" -o "$WORK/time" cargo build --profile "$PROFILE" --locked "$@" \
    "${EXTRA[@]}" >"$WORK/build.log" 2>&1 || { tail -20 "$WORK/build.log" >&2; exit 1; }
  read -r wall user sys <"$WORK/time"
  awk -v w="$wall" -v u="$user" -v s="$sys" -v what="$what" \
    'BEGIN { printf "%-30s wall %6.1f s   CPU %6.1f s (user %.1f, sys %.1f)\n", what, w, u + s, u, s }'
}
build "first build" --timings
dir=$PROFILE; [ "$PROFILE" = dev ] && dir=debug
bin=$CARGO_TARGET_DIR/$dir/camscan
echo "binary: $(stat -c %s "$bin") bytes ($dir/camscan)"
python3 - "$CARGO_TARGET_DIR/cargo-timings" <<'EOF'
import glob, json, re, sys
page = sorted(glob.glob(sys.argv[1] + "/cargo-timing-*.html"))[-1]
units = json.loads(re.search(r"const UNIT_DATA = (\[.*?\]);", open(page).read(), re.S).group(1))
total = sum(u["duration"] for u in units)
print(f"{len(units)} units, {total:.0f} s summed over units (each its own wall time; two build at once on two cores)")
for u in sorted(units, key=lambda u: -u["duration"])[:12]:
    kind = " (build script run)" if u.get("mode") == "run-custom-build" else ""
    print(f"  {u['duration']:6.1f} s  {u['name']} {u['version']}{kind}")
EOF
mkdir -p /tmp/camscan-build-timings
cp "$CARGO_TARGET_DIR"/cargo-timings/cargo-timing-*.html /tmp/camscan-build-timings/
echo "timings report kept in /tmp/camscan-build-timings/"
[ ${#TOUCH[@]} -gt 0 ] || TOUCH=(src/lib.rs)
for path in "${TOUCH[@]}"; do
  [ -f "$path" ] || { echo "--touch $path: no such file in the clone" >&2; exit 1; }
  touch "$path"
  build "rebuild after touching $(basename "$path")"
done
