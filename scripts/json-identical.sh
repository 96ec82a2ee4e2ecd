#!/usr/bin/env bash
# Proves a change keeps deadweight's documents byte-identical: runs a base build and this
# tree's build on every archive of ../shared/fixtures and testdata/sample and compares
# standard output, standard error and the exit code of each run, byte for byte.
#
#   scripts/json-identical.sh [--base REV | --base-bin PATH] [--new-bin PATH] [--text] [--keep DIR]
#
#   --base REV       the revision to compare against (default: main); built once with
#                    `cargo build` (dev profile) from a temporary `git worktree`, sharing
#                    this tree's target directory, and cached as
#                    target/json-identical/deadweight-<commit>
#   --base-bin PATH  a ready binary instead of building one
#   --new-bin PATH   this side's binary (default: `cargo build --bin deadweight` here)
#   --text           also compare the text formats (table, tree, markdown, JUnit, SARIF,
#                    HTML, .dockerignore): off by default, since renderer work may change
#                    them on purpose; the JSON documents and `init`'s TOML always
#   --keep DIR       keep both sides' outputs in DIR (default: a temp dir, removed)
#
# Runs per archive: `inspect --format json`, the same with `--all-files`; on the corpus
# pair, the sample and ggcr's two test images: `diff --format json` image vs image and
# report vs report, `check --format json` with a set of rules and a baseline, `inspect
# --base`, `init -o -`. Archives that must fail (ggcr's no_manifest.tar, ...) compare
# their one error line and exit code too.
#
# Exit 0 when every run is identical, 1 when one differs (the first lines of each
# difference are printed), 2 when a build fails.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
fixtures=${DEADWEIGHT_FIXTURES:-$repo/../shared/fixtures}
[ -d "$fixtures" ] || fixtures=/work/shared/fixtures

base_rev=main base_bin="" new_bin="" text=0 keep=""
while [ $# -gt 0 ]; do
  case $1 in
    --base) base_rev=$2; shift 2 ;;
    --base-bin) base_bin=$2; shift 2 ;;
    --new-bin) new_bin=$2; shift 2 ;;
    --text) text=1; shift ;;
    --keep) keep=$2; shift 2 ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "json-identical: unknown argument $1" >&2; exit 2 ;;
  esac
done

target=${CARGO_TARGET_DIR:-$repo/target}
mkdir -p "$target/json-identical"

if [ -z "$base_bin" ]; then
  commit=$(git rev-parse --verify "$base_rev^{commit}")
  base_bin=$target/json-identical/deadweight-$commit
  if [ ! -x "$base_bin" ]; then
    wt=$(mktemp -d /tmp/json-identical-base.XXXXXX)
    # Removed at exit (and before the runs): a later `trap ... EXIT` would replace this
    # one, which left one registered worktree per base build behind.
    trap 'git -C "$repo" worktree remove --force "$wt" >/dev/null 2>&1 || true; rm -rf "$wt"' EXIT
    git worktree add --detach "$wt" "$commit" >/dev/null 2>&1
    echo "json-identical: building base $base_rev ($commit)" >&2
    (cd "$wt" && CARGO_TARGET_DIR=$target cargo build --quiet --bin deadweight) || exit 2
    cp "$target/debug/deadweight" "$base_bin"
    git -C "$repo" worktree remove --force "$wt" >/dev/null 2>&1 || true
    rm -rf "$wt"
    trap - EXIT
  fi
fi
if [ -z "$new_bin" ]; then
  echo "json-identical: building this tree" >&2
  cargo build --quiet --bin deadweight || exit 2
  new_bin=$target/json-identical/deadweight-new
  cp "$target/debug/deadweight" "$new_bin"
fi

out=${keep:-$(mktemp -d /tmp/json-identical.XXXXXX)}
mkdir -p "$out/base" "$out/new"
[ -n "$keep" ] || trap 'rm -rf "$out"' EXIT
# Runs happen in an empty directory (no ./deadweight.toml is picked up), with a fixed
# terminal width and no colour.
cwd=$(mktemp -d /tmp/json-identical-cwd.XXXXXX)
export COLUMNS=120 NO_COLOR=1
unset DEADWEIGHT_TIMINGS

cases=()
# case NAME ARGS...: runs `deadweight ARGS...` on both sides.
case_() {
  local name=$1; shift
  cases+=("$name")
  local side bin
  for side in base new; do
    bin=$base_bin; [ $side = new ] && bin=$new_bin
    # Reports that later cases read are written by each side's own binary: $OUT is
    # replaced by that side's output directory.
    local args=() a
    for a in "$@"; do args+=("${a//\$OUT/$out/$side}"); done
    set +e
    (cd "$cwd" && "$bin" "${args[@]}" >"$out/$side/$name.stdout" 2>"$out/$side/$name.stderr" </dev/null)
    echo $? >"$out/$side/$name.rc"
    set -e
  done
}

mapfile -t archives < <(find "$fixtures" "$repo/testdata/sample" -name '*.tar' | sort)
for a in "${archives[@]}"; do
  n=$(basename "$(dirname "$a")")-$(basename "$a" .tar)
  case_ "inspect-$n" inspect -q --format json "$a"
  case_ "inspect-all-$n" inspect -q --format json --all-files "$a"
  if [ $text = 1 ]; then
    case_ "table-$n" inspect -q "$a"
    case_ "table-raw-$n" inspect -q --bytes raw --units iec --top 3 "$a"
    case_ "tree-$n" inspect -q --tree --color never "$a"
    case_ "dockerignore-$n" inspect -q --suggest-dockerignore "$a"
  fi
done

# The archives that hold several images, one of each picked.
case_ "inspect-pick-bundle" inspect -q --format json --image test_image_1 "$fixtures/ggcr/test_bundle.tar"
case_ "inspect-pick-link" inspect -q --format json --all-files --image bazel/v1/tarball:test_image_3 "$fixtures/ggcr/test_link.tar"

bloated=$fixtures/corpus/svc-bloated.oci-zstd.tar
slim=$fixtures/corpus/svc-slim.oci-zstd.tar
img1=$fixtures/ggcr/test_image_1.tar
img2=$fixtures/ggcr/test_image_2.tar
sample=$repo/testdata/sample/sample.docker.tar
pairs=("corpus:$slim:$bloated" "ggcr:$img1:$img2" "sample:$sample:$bloated")
for p in "${pairs[@]}"; do
  IFS=: read -r n before after <<<"$p"
  case_ "report-before-$n" inspect -q --format json --all-files -o "\$OUT/$n-before.json" "$before"
  case_ "report-after-$n" inspect -q --format json --all-files -o "\$OUT/$n-after.json" "$after"
  case_ "diff-images-$n" diff -q --format json "$before" "$after"
  case_ "diff-reports-$n" diff -q --format json "\$OUT/$n-before.json" "\$OUT/$n-after.json"
  case_ "diff-mixed-top0-$n" diff -q --format json --top 0 --depth 2 "\$OUT/$n-before.json" "$after"
  case_ "inspect-base-$n" inspect -q --format json --base "$before" "$after"
  case_ "inspect-base-report-$n" inspect -q --format json --base "\$OUT/$n-before.json" "$after"
  case_ "check-$n" check -q --format json --max-blob-bytes 1MB --max-hidden-bytes 5% \
    --max-duplicate-bytes 1% --max-dead-weight-bytes 2% --min-efficiency 0.95 \
    --max-layers 3 --category vcs=0 --deny '**/*.pem' --deny '**/*.py' --allow '**/site-packages/**' \
    --root-user warn --baseline "\$OUT/$n-before.json" --max-growth-percent 1 "$after"
  case_ "check-image-baseline-$n" check -q --format json --max-growth-bytes 1KB --baseline "$before" "$after"
  case_ "init-$n" init -q -o - "$after"
  if [ $text = 1 ]; then
    case_ "diff-table-$n" diff -q "$before" "$after"
    case_ "diff-markdown-$n" diff -q --format markdown "$before" "$after"
    case_ "diff-html-$n" diff -q --format html "$before" "$after"
    for f in table junit sarif markdown; do
      case_ "check-$f-$n" check -q --format $f --max-blob-bytes 1MB --max-hidden-bytes 5% \
        --category vcs=0 --deny '**/*.pem' --root-user warn \
        --baseline "\$OUT/$n-before.json" --max-growth-percent 1 "$after"
    done
    case_ "html-$n" inspect -q --format html "$after"
  fi
done
rm -rf "$cwd"

differ=0
for c in "${cases[@]}"; do
  same=1
  for s in stdout stderr rc; do
    # Error lines name the report paths each side wrote: compare them with the side's
    # directory taken out.
    if ! diff -q <(sed "s#$out/base#OUT#g" "$out/base/$c.$s") <(sed "s#$out/new#OUT#g" "$out/new/$c.$s") >/dev/null; then
      same=0
      echo "DIFFERS: $c ($s)"
      diff -u <(sed "s#$out/base#OUT#g" "$out/base/$c.$s") <(sed "s#$out/new#OUT#g" "$out/new/$c.$s") | head -20
    fi
  done
  [ $same = 1 ] || differ=$((differ + 1))
done
echo "json-identical: ${#cases[@]} runs on ${#archives[@]} archives, $differ differ (base $base_bin, new $new_bin)"
[ $differ = 0 ]
