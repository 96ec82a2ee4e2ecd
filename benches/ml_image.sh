#!/usr/bin/env bash
# Builds the image deadweight is for: a Python ML stack as users build it, layer by layer,
# with real tools. A Debian bookworm root filesystem (debootstrap), build tools from apt,
# pip installs of the scientific stack, a deep-learning framework and jupyterlab, a training
# set of ~80,000 small files, then a layer that deletes and rewrites (whiteouts, a rewritten
# file, a removed package) and one that replaces a directory wholesale (an opaque directory).
# Every step is one layer packed by umoci; skopeo saves the result three ways.
#
#   bash benches/ml_image.sh [OUT_DIR]        (default /tmp/deadweight-ml)
#
# Writes OUT_DIR/ml.docker.tar (uncompressed layers), OUT_DIR/ml.oci-gzip.tar and
# OUT_DIR/ml.oci-zstd.tar, and OUT_DIR/ml.txt (sizes and entry counts). Needs root (chroot,
# mounts), debootstrap, umoci and skopeo (Debian's packages), network access to Debian's and
# PyPI's package archives, about 25 GB of free disk and 20-40 minutes on 2 cores. The
# packages are whatever Debian and PyPI serve on the day, so figures are the day's (the
# versions pip chose are listed in OUT_DIR/ml.txt). Behind a TLS-intercepting proxy, the
# host's CA bundle is lent to pip inside the root filesystem (and taken out before the
# layer is packed). ML_FROM_STEP=N resumes a failed build at step N (OUT_DIR's oci and
# bundle are kept from the failed run).
set -euo pipefail
out=${1:-/tmp/deadweight-ml}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
[ "$(id -u)" = 0 ] || { echo "ml_image.sh: needs root (debootstrap, chroot)" >&2; exit 2; }
for tool in debootstrap umoci skopeo python3 tar; do
  command -v "$tool" > /dev/null || { echo "ml_image.sh: needs $tool" >&2; exit 2; }
done
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$out"
root=$out/bundle/rootfs

mounted=()
unmount_all() {
  local m
  for m in "${mounted[@]}"; do umount -l "$m" 2> /dev/null || true; done
  mounted=()
}
trap unmount_all EXIT
mount_chroot() {
  mount -t proc proc "$root/proc" && mounted+=("$root/proc")
  mount -t sysfs sys "$root/sys" && mounted+=("$root/sys")
  mount --bind /dev "$root/dev" && mounted+=("$root/dev")
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  cp /etc/ssl/certs/ca-certificates.crt "$root/tmp/host-ca.crt"
}
# A clean environment: the host's pip settings (find-links, caches) are not the image's.
in_root() {
  chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin PIP_DEFAULT_TIMEOUT=180 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_CERT=/tmp/host-ca.crt "$@"
}
pip_install() { in_root pip install --break-system-packages --prefer-binary "$@"; }
# Each step becomes one layer; --refresh-bundle makes the next one a diff against it.
# The chroot's mounts come off first so the layer never holds /proc or /sys.
layer() {
  unmount_all
  rm -f "$root/tmp/host-ca.crt"
  umoci repack --refresh-bundle --history.created_by "$1" --image oci:ml bundle
}

from=${ML_FROM_STEP:-1}
step() { [ "$1" -ge "$from" ]; }
rm -f ml.docker.tar ml.oci-gzip.tar ml.oci-zstd.tar ml.txt
if step 1; then
  rm -rf oci bundle
  umoci init --layout oci
  umoci new --image oci:ml
  umoci unpack --image oci:ml bundle
fi

# 1: the base, what `FROM debian:bookworm` brings.
if step 1; then
  debootstrap --variant=minbase bookworm "$root" "$mirror"
  rm -rf "$root/var/cache/apt/archives/"*.deb
  layer "FROM debian:bookworm"
fi

# 2: build tools, kernel headers (for a CUDA/driver build), git, python3 and pip; the apt
# lists and caches stay, as in most Dockerfiles.
if step 2; then
  mount_chroot
  printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
  chmod +x "$root/usr/sbin/policy-rc.d"
  in_root apt-get update
  in_root apt-get install -y --no-install-recommends build-essential linux-headers-amd64 git \
    ca-certificates python3 python3-dev python3-pip python3-venv
  layer "RUN apt-get install build-essential linux-headers-amd64 git python3-pip"
fi

# 3: the scientific stack; pip's cache stays in /root/.cache (dead weight a later rm hides).
if step 3; then
  mount_chroot
  pip_install numpy scipy pandas pyarrow
  layer "RUN pip install numpy scipy pandas pyarrow"
fi

# 4: models and data tools.
if step 4; then
  mount_chroot
  pip_install --no-cache-dir scikit-learn matplotlib opencv-python-headless polars boto3
  layer "RUN pip install --no-cache-dir scikit-learn matplotlib opencv-python-headless polars boto3"
fi

# 5: the deep-learning framework (TensorFlow: 2 GB installed; PyTorch from PyPI brings
# 4 GB of CUDA libraries more, which makes the image slow to build and to cache without
# changing its shape).
if step 5; then
  mount_chroot
  pip_install --no-cache-dir tensorflow
  layer "RUN pip install --no-cache-dir tensorflow"
fi

# 6: notebooks (jupyterlab brings tornado's test certificate and key).
if step 6; then
  mount_chroot
  pip_install --no-cache-dir jupyterlab
  layer "RUN pip install --no-cache-dir jupyterlab"
fi

# 7: the training set: shards of small JSON, text and binary files, 0.2-16 KB.
if step 7; then
  python3 - "$root/srv/dataset" << 'EOF'
import json, os, random, sys
base = sys.argv[1]
rng = random.Random(23)
words = "the of tensor gradient batch epoch loss layer model weight bias input output train".split()
items = 26_700
for i in range(1, items + 1):
    shard = os.path.join(base, "shard-%04d" % ((i - 1) // 1000))
    if (i - 1) % 1000 == 0:
        os.makedirs(shard, exist_ok=True)
    stem = os.path.join(shard, "item-%06d" % i)
    size = int(200 * (80 ** rng.random()))  # log-uniform 200 B .. 16 KB
    label = {"id": i, "label": rng.randrange(1000), "split": rng.choice(["train", "val"]),
             "bbox": [rng.random() for _ in range(4)], "caption": ""}
    caption = " ".join(rng.choice(words) for _ in range(size // 6))
    label["caption"] = caption[: max(0, size - 120)]
    with open(stem + ".json", "w") as f:
        json.dump(label, f)
    with open(stem + ".txt", "w") as f:
        f.write(" ".join(rng.choice(words) for _ in range(size // 5))[:size])
    with open(stem + ".bin", "wb") as f:
        f.write(rng.randbytes(size))
EOF
  layer "COPY dataset /srv/dataset"
fi

# 8: the application, with the .env a user copied in by mistake.
if step 8; then
  mkdir -p "$root/srv/app"
  cat > "$root/srv/app/train.py" << 'EOF'
import tensorflow as tf
import pandas as pd

def main():
    frame = pd.read_json("/srv/dataset/shard-0000/item-000001.json", typ="series")
    print(tf.constant(frame["bbox"]))

if __name__ == "__main__":
    main()
EOF
  printf 'AWS_ACCESS_KEY_ID=AKIAZ7Q3EXAMPLE4ML23\nAWS_SECRET_ACCESS_KEY=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\n' \
    > "$root/srv/app/.env"
  layer "COPY app /srv/app"
fi

# 9: deletes and rewrites: a tenth of the training set, a package removed with pip, pip's
# cache, a rewritten label file and config.
if step 9; then
  mount_chroot
  in_root pip uninstall --break-system-packages -y polars
  rm -rf "$root/root/.cache/pip" "$root/srv/dataset/shard-000"[0-1]
  python3 - "$root/srv/dataset" << 'EOF'
import json, os, sys
base = sys.argv[1]
for name in sorted(os.listdir(os.path.join(base, "shard-0002")))[:300]:
    if name.endswith(".json"):
        path = os.path.join(base, "shard-0002", name)
        with open(path) as f:
            label = json.load(f)
        label["label"] = (label["label"] + 1) % 1000
        with open(path, "w") as f:
            json.dump(label, f)
EOF
  echo 'deb http://deb.debian.org/debian bookworm-backports main' >> "$root/etc/apt/sources.list"
  layer "RUN pip uninstall polars && rm -rf ~/.cache/pip /srv/dataset/shard-000[01] && relabel"
fi

# 10: a shard replaced wholesale (`rm -rf shard && cp -r new shard`), which overlay
# snapshotters store as an opaque directory. umoci writes per-file whiteouts, so this layer
# is written as the tar a containerd or buildah build would push and added with
# `umoci raw add-layer`.
if step 10; then
  rm -rf opaque && mkdir -p opaque/srv/dataset/shard-0003
  touch opaque/srv/dataset/shard-0003/.wh..wh..opq
  for i in $(seq 1 200); do
    head -c $((i * 37 + 200)) /dev/urandom > "opaque/srv/dataset/shard-0003/item-r$i.bin"
  done
  tar --numeric-owner --owner=0 --group=0 -C opaque -cf opaque.tar srv
  umoci raw add-layer --history.created_by "COPY shard-0003 /srv/dataset/shard-0003" \
    --image oci:ml opaque.tar
  rm -rf opaque opaque.tar
fi

umoci config --image oci:ml --config.cmd python3 --config.cmd /srv/app/train.py
skopeo copy -q oci:oci:ml docker-archive:ml.docker.tar:ml:latest
skopeo copy -q oci:oci:ml oci-archive:ml.oci-gzip.tar:ml
skopeo copy -q --dest-compress-format zstd oci:oci:ml oci-archive:ml.oci-zstd.tar:ml
{
  ls -l ml.docker.tar ml.oci-gzip.tar ml.oci-zstd.tar
  echo "tar entries in the docker archive's layers: $(
    mkdir -p count && tar -xf ml.docker.tar -C count &&
      find count -name '*.tar' -size +1k -exec tar -tf {} \; | wc -l
    rm -rf count
  )"
  echo "pip freeze:"
  in_root pip freeze
} > ml.txt
rm -rf oci bundle
cat ml.txt
