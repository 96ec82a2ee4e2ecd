#!/usr/bin/env bash
# Builds a real multi-GB image with real tools (umoci, then skopeo) from this machine's own
# files, in the shape of a naive ML build: system files, a toolchain, a package cache,
# then a layer that deletes part of them (whiteouts). It complements compare.sh's
# synthetic archive with real file sizes, real names and real duplicates. The content
# depends on the machine, so its figures are this machine's (README, "Performance").
#
#   bash benches/real_image.sh [OUT_DIR]     (default /tmp/deadweight-real)
#
# Writes OUT_DIR/real.docker.tar (uncompressed layers, `skopeo copy ... docker-archive:`)
# and OUT_DIR/real.oci-zstd.tar (`skopeo copy --dest-compress-format zstd ...
# oci-archive:`), and prints the commands that time them. Needs umoci and skopeo
# (Debian's packages), about 3x the content in free disk, and a few minutes.
set -euo pipefail
out=${1:-/tmp/deadweight-real}
for tool in umoci skopeo; do
  command -v "$tool" > /dev/null || { echo "real_image.sh: needs $tool" >&2; exit 2; }
done
toolchains=${RUSTUP_HOME:-$HOME/.rustup}/toolchains
registry=${CARGO_HOME:-$HOME/.cargo}/registry
for dir in /usr/share /usr/bin /usr/include "$toolchains" "$registry"; do
  [ -d "$dir" ] || { echo "real_image.sh: $dir is missing" >&2; exit 2; }
done
mkdir -p "$out"
cd "$out"
rm -rf oci bundle zstd-layers real.docker.tar real.oci-zstd.tar
umoci init --layout oci
umoci new --image oci:img
umoci unpack --image oci:img bundle
root=bundle/rootfs
# Each step becomes one layer; --refresh-bundle makes the next one a diff against it.
layer() { umoci repack --refresh-bundle --history.created_by "$1" --image oci:img bundle; }
mkdir -p "$root/usr"
cp -a /usr/share /usr/bin /usr/include "$root/usr/"
layer "COPY system files /usr/share /usr/bin /usr/include"
mkdir -p "$root/root/.rustup"
cp -a "$toolchains" "$root/root/.rustup/"
layer "RUN rustup toolchain install"
mkdir -p "$root/root/.cargo"
cp -a "$registry" "$root/root/.cargo/"
layer "RUN cargo fetch"
rm -rf "$root/root/.cargo/registry/src" "$root/usr/share/doc"
layer "RUN rm -rf ~/.cargo/registry/src /usr/share/doc"
umoci config --image oci:img --config.cmd /usr/bin/true
skopeo copy -q oci:oci:img docker-archive:real.docker.tar:real:latest
skopeo copy -q --dest-compress-format zstd oci:oci:img oci-archive:real.oci-zstd.tar:real
rm -rf oci bundle
mkdir -p zstd-layers
tar -xf real.oci-zstd.tar -C zstd-layers
ls -l real.docker.tar real.oci-zstd.tar
cat << EOF
Time them beside their yardsticks, e.g.:
  bash benches/interleave.sh 8 \\
    "file::target/release/deadweight inspect -q $out/real.docker.tar" \\
    "stdin::cat $out/real.docker.tar | target/release/deadweight inspect -q -" \\
    "openssl::openssl dgst -sha256 $out/real.docker.tar" \\
    "zstd -dc::zstd -dc \$(find $out/zstd-layers/blobs -size +4k)" \\
    "zstd::target/release/deadweight inspect -q $out/real.oci-zstd.tar"
EOF
