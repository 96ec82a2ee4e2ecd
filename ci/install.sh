#!/bin/sh
# Installs deadweight for a CI job and prints the directory that holds it (the only line on
# standard output; everything else goes to standard error), for the GitHub Action
# (action.yml) and the GitLab template (ci/gitlab.yml).
#
# 1. A deadweight already on PATH at the wanted version is used as it is.
# 2. Else the release asset deadweight-VERSION-TARGET.tar.gz of tag vVERSION, checked
#    against its .sha256 file (made by ci/release-asset.sh).
# 3. Else `cargo install --locked` from the source this script sits in (the action's own
#    checkout), or from the repository's tag when there is no source beside it.
#
# Environment (all optional):
#   DEADWEIGHT_VERSION      the version to install; default: the Cargo.toml beside this script
#   DEADWEIGHT_REPOSITORY   owner/name on GitHub; default: $GITHUB_ACTION_REPOSITORY, else
#                           deadweight-rs/deadweight
#   DEADWEIGHT_RELEASE_URL  where release assets live, without the tag;
#                           default: https://github.com/$DEADWEIGHT_REPOSITORY/releases/download
#   DEADWEIGHT_INSTALL_DIR  where to put the binary; default: $RUNNER_TEMP/deadweight or
#                           ${TMPDIR:-/tmp}/deadweight (the binary lands in its bin/)
#   GITHUB_PATH             when set (GitHub Actions), the bin directory is appended to it
set -eu

say() { printf 'deadweight install: %s\n' "$*" >&2; }
fail() { say "$*"; exit 2; }

src=$(cd "$(dirname "$0")/.." && pwd)
version=${DEADWEIGHT_VERSION:-}
if [ -z "$version" ]; then
    [ -f "$src/Cargo.toml" ] || fail "DEADWEIGHT_VERSION is not set and there is no $src/Cargo.toml to read it from"
    version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$src/Cargo.toml" | head -n 1)
    [ -n "$version" ] || fail "$src/Cargo.toml: no version line"
fi
version=${version#v}
repository=${DEADWEIGHT_REPOSITORY:-${GITHUB_ACTION_REPOSITORY:-deadweight-rs/deadweight}}
release_url=${DEADWEIGHT_RELEASE_URL:-https://github.com/$repository/releases/download}
root=${DEADWEIGHT_INSTALL_DIR:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}/deadweight}
bin="$root/bin"

done_with() {
    [ -z "${GITHUB_PATH:-}" ] || printf '%s\n' "$1" >>"$GITHUB_PATH"
    printf '%s\n' "$1"
    exit 0
}

# 1. Already there.
if have=$(deadweight --version 2>/dev/null) && [ "$have" = "deadweight $version" ]; then
    say "using $(command -v deadweight) ($have)"
    done_with "$(dirname "$(command -v deadweight)")"
fi

# 2. The release asset for this machine.
case "$(uname -s)/$(uname -m)" in
    Linux/x86_64 | Linux/amd64) target=x86_64-unknown-linux-gnu ;;
    Linux/aarch64 | Linux/arm64) target=aarch64-unknown-linux-gnu ;;
    Darwin/arm64) target=aarch64-apple-darwin ;;
    Darwin/x86_64) target=x86_64-apple-darwin ;;
    *) target= ;;
esac
if [ -n "$target" ] && command -v curl >/dev/null 2>&1; then
    asset="deadweight-$version-$target.tar.gz"
    tmp=$(mktemp -d)
    if curl -fsSL --retry 2 -o "$tmp/$asset" "$release_url/v$version/$asset" &&
        curl -fsSL --retry 2 -o "$tmp/$asset.sha256" "$release_url/v$version/$asset.sha256"; then
        if command -v sha256sum >/dev/null 2>&1; then sum="sha256sum"; else sum="shasum -a 256"; fi
        (cd "$tmp" && $sum -c "$asset.sha256" >&2) || fail "$asset: checksum mismatch"
        mkdir -p "$bin"
        tar -xzf "$tmp/$asset" -C "$tmp"
        [ -f "$tmp/deadweight-$version-$target/deadweight" ] || fail "$asset: no deadweight-$version-$target/deadweight inside"
        cp "$tmp/deadweight-$version-$target/deadweight" "$bin/deadweight"
        chmod +x "$bin/deadweight"
        rm -rf "$tmp"
        say "installed $("$bin/deadweight" --version) from $release_url/v$version/$asset"
        done_with "$bin"
    fi
    rm -rf "$tmp"
    say "no release asset $asset at $release_url/v$version: building with cargo"
fi

# 3. Build it.
command -v cargo >/dev/null 2>&1 || fail "no release asset for this machine and no cargo to build deadweight $version with (install Rust, e.g. use a rust image)"
if [ -f "$src/Cargo.toml" ] && grep -q '^name = "deadweight"$' "$src/Cargo.toml"; then
    say "cargo install --locked --path $src"
    cargo install --locked --root "$root" --path "$src" >&2
else
    say "cargo install --locked --git https://github.com/$repository --tag v$version"
    cargo install --locked --root "$root" --git "https://github.com/$repository" --tag "v$version" deadweight >&2
fi
[ -x "$bin/deadweight" ] || fail "cargo install left no $bin/deadweight"
done_with "$bin"
