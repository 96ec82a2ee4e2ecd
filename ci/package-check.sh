#!/bin/sh
# The crate as `cargo publish` would upload it: the files it lists hold no test data,
# fixtures, fuzzing or CI files and no file over 1 MB, the ones a user needs are there, and
# `cargo publish --dry-run` (which builds the packaged source) passes. Run by .ci/run.
set -eu
cd "$(dirname "$0")/.."
list=$(cargo package -p deadweight --list --allow-dirty 2>/dev/null)
bad=$(printf '%s\n' "$list" | grep -E '^(testdata|tests|fuzz|benches|examples|scripts|\.ci|\.github)/' || true)
if [ -n "$bad" ]; then
    printf 'package-check: the package would hold files it must not:\n%s\n' "$bad" >&2
    exit 1
fi
for need in Cargo.toml Cargo.lock README.md LICENSE CHANGELOG.md src/main.rs src/lib.rs; do
    printf '%s\n' "$list" | grep -qx "$need" || { echo "package-check: $need is not in the package" >&2; exit 1; }
done
printf '%s\n' "$list" | while read -r f; do
    [ -f "$f" ] || continue
    size=$(wc -c <"$f")
    if [ "$size" -gt 1000000 ]; then
        echo "package-check: $f is $size bytes, over 1 MB" >&2
        exit 1
    fi
done
echo "package-check: $(printf '%s\n' "$list" | wc -l) files, none of them test data"
cargo publish -p deadweight --dry-run --allow-dirty
