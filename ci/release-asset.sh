#!/bin/sh
# Packs a built deadweight binary as the release asset ci/install.sh downloads:
#   OUTDIR/deadweight-VERSION-TARGET.tar.gz (holding deadweight-VERSION-TARGET/{deadweight,
#   README.md,LICENSE,CHANGELOG.md}) and OUTDIR/deadweight-VERSION-TARGET.tar.gz.sha256.
# Usage: ci/release-asset.sh BINARY TARGET OUTDIR   (VERSION is the binary's own)
set -eu
[ $# -eq 3 ] || { echo "usage: $0 BINARY TARGET OUTDIR" >&2; exit 2; }
binary=$1 target=$2 out=$3
src=$(cd "$(dirname "$0")/.." && pwd)
version=$("$binary" --version | sed -n 's/^deadweight //p')
[ -n "$version" ] || { echo "$binary: not a deadweight binary" >&2; exit 2; }
name="deadweight-$version-$target"
stage=$(mktemp -d)
mkdir -p "$stage/$name" "$out"
cp "$binary" "$stage/$name/deadweight"
cp "$src/README.md" "$src/LICENSE" "$src/CHANGELOG.md" "$stage/$name/"
tar -czf "$out/$name.tar.gz" -C "$stage" "$name"
# sha256sum (GNU) or shasum (macOS): the same "HASH  NAME" line.
if command -v sha256sum >/dev/null 2>&1; then sum="sha256sum"; else sum="shasum -a 256"; fi
(cd "$out" && $sum "$name.tar.gz" >"$name.tar.gz.sha256")
rm -rf "$stage"
echo "$out/$name.tar.gz"
