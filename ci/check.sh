#!/bin/sh
# Runs `deadweight check` for a CI job, for the GitHub Action (action.yml) and the GitLab
# template (ci/gitlab.yml), and exits with its code: 0 passed, 1 a rule failed, 2 deadweight
# could not do its job.
#
# Environment:
#   DEADWEIGHT_IMAGE     the image (required): a saved image file or folder, or any source
#                        deadweight reads
#   DEADWEIGHT_CONFIG    a deadweight.toml (default: ./deadweight.toml when it exists)
#   DEADWEIGHT_BASELINE  a JSON report (`inspect --format json --all-files`) or an image to
#                        compare with
#   DEADWEIGHT_FORMAT    table (default), json, junit, sarif or markdown: the report file's
#   DEADWEIGHT_OUTPUT    the report file; default deadweight-report.{txt,json,xml,sarif,md}
#   DEADWEIGHT_ARGS      more arguments for `deadweight check`, split on spaces
#
# Inside GitHub Actions deadweight itself appends the Markdown summary to
# $GITHUB_STEP_SUMMARY and prints ::error annotations; this script adds the step outputs
# report, format, exit-code and passed to $GITHUB_OUTPUT.
set -u

fail() { printf 'deadweight check: %s\n' "$*" >&2; exit 2; }

image=${DEADWEIGHT_IMAGE:-}
[ -n "$image" ] || fail "no image: set the action's 'image' input (DEADWEIGHT_IMAGE)"
format=${DEADWEIGHT_FORMAT:-table}
case "$format" in
    table) ext=txt ;;
    json) ext=json ;;
    junit) ext=xml ;;
    sarif) ext=sarif ;;
    markdown) ext=md ;;
    *) fail "format '$format' is not one of table, json, junit, sarif, markdown" ;;
esac
output=${DEADWEIGHT_OUTPUT:-deadweight-report.$ext}

set -- check "$image" --format "$format" --output "$output"
[ -z "${DEADWEIGHT_CONFIG:-}" ] || set -- "$@" --config "$DEADWEIGHT_CONFIG"
[ -z "${DEADWEIGHT_BASELINE:-}" ] || set -- "$@" --baseline "$DEADWEIGHT_BASELINE"
# shellcheck disable=SC2086 # DEADWEIGHT_ARGS is split on purpose
[ -z "${DEADWEIGHT_ARGS:-}" ] || set -- "$@" $DEADWEIGHT_ARGS

printf '+ deadweight' >&2
printf ' %s' "$@" >&2
printf '\n' >&2
deadweight "$@" --quiet
code=$?

# The table is also the log's: the other formats are for machines, the table for people.
if [ "$format" = table ] && [ -f "$output" ]; then
    cat "$output"
fi
case $code in
    0) passed=true; say="PASS" ;;
    1) passed=false; say="FAIL: a rule failed (see $output)" ;;
    *) passed=false; say="ERROR: deadweight could not check the image (exit $code)" ;;
esac
printf 'deadweight check: %s\n' "$say" >&2

if [ -n "${GITHUB_OUTPUT:-}" ]; then
    {
        printf 'report=%s\n' "$output"
        printf 'format=%s\n' "$format"
        printf 'exit-code=%s\n' "$code"
        printf 'passed=%s\n' "$passed"
    } >>"$GITHUB_OUTPUT"
fi
exit "$code"
