#!/usr/bin/env bash
# Builds the real upstream components the tests and the demo talk to (kube-apiserver, kubectl, etcd,
# the Argo Rollouts controller, helm, moto) into a version-keyed cache outside the repository.
# Each component is rebuilt only when its binary is missing, so a warm run takes seconds.
#
# Cache root: $OKRA_STACK_CACHE, default ${XDG_CACHE_HOME:-$HOME/.cache}/okra-stack.
# Versions:   stack.versions.json (the same file the TypeScript harness reads).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${OKRA_STACK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/okra-stack}
mkdir -p "$CACHE"

version() { node -p "require('$ROOT/stack.versions.json').$1"; }
K8S=$(version kubernetes)
ETCD=$(version etcd)
ARGO=$(version argoRollouts)
HELM=$(version helm)
MOTO=$(version moto)
ALBC=$(version awsLoadBalancerController)

# Two cores on CI: keep the Go toolchain from oversubscribing them and build static binaries.
export CGO_ENABLED=0 GOFLAGS=${GOFLAGS:--p=2} GOTOOLCHAIN=local

log() { printf '[build-stack %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# upstream_replaces MODULE@VERSION STAGING_VERSION: prints `go mod edit` flags that repeat the
# module's own replace directives. Replace directives in a dependency are ignored by Go, so a wrapper
# module has to restate them; local ./staging paths become the published staging tag.
upstream_replaces() {
  local gomod
  gomod=$(go mod download -json "$1" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).GoMod))')
  go mod edit -json "$gomod" | node -e '
    let s = "";
    process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const staging = process.argv[1];
      for (const r of JSON.parse(s).Replace ?? []) {
        const target = r.New.Path.startsWith("./") || r.New.Path.startsWith("../")
          ? `${r.Old.Path}@${staging}`
          : `${r.New.Path}@${r.New.Version}`;
        console.log(`-replace=${r.Old.Path}=${target}`);
      }
    });' "$2"
}

# wrapper DIR: a throwaway Go module under the cache, so nothing is written into the repository.
wrapper() {
  rm -rf "$1" && mkdir -p "$1" && cd "$1"
  go mod init "local/$(basename "$1")" >/dev/null 2>&1
}

# install_atomically SRC DEST: a half-written binary must never look like a finished build.
install_atomically() { mv "$1" "$2.tmp" && mv "$2.tmp" "$2"; }

build_kubernetes() {
  local out=$CACHE/kubernetes-$K8S/bin
  if [[ -x $out/kube-apiserver && -x $out/kubectl ]]; then log "kubernetes $K8S cached"; return; fi
  log "building kube-apiserver and kubectl $K8S (the long one)"
  local staging=v0.${K8S#v1.} minor
  minor=$(echo "$K8S" | cut -d. -f2)
  wrapper "$CACHE/src/kubernetes-$K8S"
  # shellcheck disable=SC2046
  go mod edit -require="k8s.io/kubernetes@$K8S" $(upstream_replaces "k8s.io/kubernetes@$K8S" "$staging")
  go get -tool "k8s.io/kubernetes/cmd/kube-apiserver@$K8S" "k8s.io/kubernetes/cmd/kubectl@$K8S"
  local ld="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $pkg.gitVersion=$K8S -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  done
  mkdir -p "$out"
  go build -trimpath -ldflags "$ld" -o kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver
  go build -trimpath -ldflags "$ld" -o kubectl k8s.io/kubernetes/cmd/kubectl
  install_atomically kubectl "$out/kubectl"
  install_atomically kube-apiserver "$out/kube-apiserver"
}

build_etcd() {
  local out=$CACHE/etcd-$ETCD/bin
  if [[ -x $out/etcd ]]; then log "etcd $ETCD cached"; return; fi
  log "building etcd $ETCD"
  wrapper "$CACHE/src/etcd-$ETCD"
  go get -tool "go.etcd.io/etcd/server/v3@$ETCD"
  mkdir -p "$out"
  go build -trimpath -ldflags "-s -w" -o etcd go.etcd.io/etcd/server/v3
  install_atomically etcd "$out/etcd"
}

build_argo_rollouts() {
  local out=$CACHE/argo-rollouts-$ARGO/bin
  if [[ -x $out/rollouts-controller ]]; then log "argo-rollouts $ARGO cached"; return; fi
  log "building rollouts-controller $ARGO"
  wrapper "$CACHE/src/argo-rollouts-$ARGO"
  # shellcheck disable=SC2046
  go mod edit -require="github.com/argoproj/argo-rollouts@$ARGO" \
    $(upstream_replaces "github.com/argoproj/argo-rollouts@$ARGO" unused)
  go get -tool "github.com/argoproj/argo-rollouts/cmd/rollouts-controller@$ARGO"
  mkdir -p "$out"
  go build -trimpath -ldflags "-s -w" -o rollouts-controller github.com/argoproj/argo-rollouts/cmd/rollouts-controller
  install_atomically rollouts-controller "$out/rollouts-controller"
}

build_helm() {
  local out=$CACHE/helm-$HELM/bin
  if [[ -x $out/helm ]]; then log "helm $HELM cached"; return; fi
  log "building helm $HELM"
  wrapper "$CACHE/src/helm-$HELM"
  go get -tool "helm.sh/helm/v3/cmd/helm@$HELM"
  mkdir -p "$out"
  go build -trimpath -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM" -o helm helm.sh/helm/v3/cmd/helm
  install_atomically helm "$out/helm"
}

install_moto() {
  local venv=$CACHE/moto-$MOTO/venv
  # A virtualenv records its own path, so it cannot be built elsewhere and moved into place;
  # a marker written after pip succeeds is what tells a finished install from a broken one.
  if [[ -f $venv/.okra-complete ]]; then log "moto $MOTO cached"; return; fi
  log "installing moto[server]==$MOTO into a virtualenv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "moto[server]==$MOTO"
  touch "$venv/.okra-complete"
}

# The foreign CRDs are read from the Go module cache at test time; only make sure they are there.
download_foreign_crds() {
  log "ensuring upstream CRD sources in the Go module cache"
  (cd "$CACHE" && go mod download "github.com/argoproj/argo-rollouts@$ARGO" \
    "sigs.k8s.io/aws-load-balancer-controller@$ALBC")
}

want=${*:-all}
start=$SECONDS
for part in $want; do
  case $part in
    all) build_etcd; build_kubernetes; install_moto; download_foreign_crds; build_argo_rollouts; build_helm ;;
    etcd) build_etcd ;;
    kubernetes) build_kubernetes ;;
    moto) install_moto ;;
    crds) download_foreign_crds ;;
    argo-rollouts) build_argo_rollouts ;;
    helm) build_helm ;;
    *) echo "unknown part: $part (all|etcd|kubernetes|moto|crds|argo-rollouts|helm)" >&2; exit 2 ;;
  esac
done
log "done in $((SECONDS - start))s; cache at $CACHE"
