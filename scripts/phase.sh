# Sourced by .ci/run and scripts/test*: `phase NAME CMD...` runs CMD, prints
# "phase NAME: N s" (and its exit status when non-zero) and returns CMD's status;
# `phase_summary` prints every phase of this shell again, in order. Times go to stderr so
# they never mix with a command's output on stdout.
PHASE_LINES=()

# Where builds and their caches live: CARGO_TARGET_DIR made absolute (cargo reads a relative
# one from the working directory), or target/ of the current directory.
phase_target_dir() {
  local dir="${CARGO_TARGET_DIR:-target}"
  case "$dir" in
    /*) printf '%s\n' "$dir" ;;
    *) printf '%s\n' "$(pwd)/$dir" ;;
  esac
}

phase() {
  local name="$1"
  shift
  local start rc=0
  start=$(date +%s)
  "$@" || rc=$?
  local line="phase $name: $(($(date +%s) - start)) s"
  [ "$rc" -eq 0 ] || line="$line (exit $rc)"
  echo "$line" >&2
  PHASE_LINES+=("$line")
  return "$rc"
}

phase_summary() {
  local line
  for line in "${PHASE_LINES[@]}"; do
    echo "$line" >&2
  done
}
