#!/bin/sh
# Fills fuzz/corpus/{archive,layer} with seeds: synthetic archives of every layout
# (examples/seed.rs) and the small shared fixtures. Run from the repository root.
set -eu
cargo run --quiet --manifest-path fuzz/Cargo.toml --example seed -- fuzz
fixtures=${DEADWEIGHT_FIXTURES:-../shared/fixtures}
if [ -d "$fixtures" ]; then
    # Small real archives only: libFuzzer mutates better on small inputs.
    find "$fixtures" -name '*.tar' -size -400k | while read -r f; do
        cp "$f" "fuzz/corpus/archive/fixture-$(basename "$(dirname "$f")")-$(basename "$f")"
    done
fi
