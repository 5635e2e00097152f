# Shared by the part scripts (sourced, not run: .ci/real-parts runs only .ci/parts/*.sh).
# A part keeps its binaries in $PARTS_CACHE/bin, each with a .NAME.version stamp.
bin=$PARTS_CACHE/bin

part_lock() {  # one build of a part at a time (helpers and CI share the cache)
  exec 9>"$PARTS_CACHE/.lock"
  flock 9
}

fresh() {  # NAME VERSION: the binary for that exact version is there already
  [ -x "$bin/$1" ] && [ "$(cat "$bin/.$1.version" 2>/dev/null)" = "$2" ]
}

installed() {  # NAME VERSION TMP: moves a finished build into place with its version stamp
  mv -f "$3" "$bin/$1"
  echo "$2" > "$bin/.$1.version"
}

timed_build() {  # NAME OUT CMD...: runs CMD (which writes OUT), logs the build's time and size
  local name=$1 out=$2 start
  shift 2
  start=$(date +%s)
  mkdir -p "$bin" "$PARTS_CACHE/src"
  "$@"
  echo "built $name in $(( $(date +%s) - start )) s, $(du -h "$out" | cut -f1) ($out)" >&2
}
