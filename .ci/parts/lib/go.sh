# Shared by the Go-built parts (sourced). The Go caches live outside the work tree, shared by
# every part, so a warm run is seconds.
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
go_root=${XDG_CACHE_HOME:-$HOME/.cache}/marketplace-kit/go
export GOPATH=$go_root GOMODCACHE=$go_root/pkg/mod GOCACHE=$go_root/build GOFLAGS=-mod=mod
export GOTOOLCHAIN=local CGO_ENABLED=0 GOWORK=off  # k8s.io/kubernetes ships a go.work

go_module_dir() {  # MODULE VERSION -> the module's folder in the module cache
  local info dir
  info=$(go mod download -json "$1@$2") || { echo "$info" >&2; return 1; }
  dir=$(printf '%s\n' "$info" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -n "$dir" ] || { echo "go mod download $1@$2 failed: $info" >&2; return 1; }
  printf '%s\n' "$dir"
}

go_module_copy() {  # MODULE VERSION DEST: a writable copy of the module's source (DEST replaced)
  local dir
  dir=$(go_module_dir "$1" "$2")
  rm -rf "$3"
  mkdir -p "$(dirname "$3")"
  cp -r "$dir" "$3"
  chmod -R u+w "$3"
}

go_published() {  # PREFIX VERSION: in ./go.mod, each directory replace of PREFIX* -> a require
  local mod   # of the published module at VERSION
  for mod in $(sed -n "s#^[[:space:]]*\\($1[^ ]*\\) => \\.\\{1,2\\}/.*#\\1#p" go.mod); do
    go mod edit -dropreplace "$mod" -require "$mod@$2"
  done
}
