# SPDX-License-Identifier: LGPL-3.0-or-later
# Counted checks for the shell tests (sourced): set check_prefix first.
#   say TEXT...             one line "PREFIX: TEXT"
#   check DESCRIPTION CMD.. runs CMD; "ok: DESCRIPTION" or "FAILED: ..."
#   check_summary           "N passed, M failed"; fails when one failed
#   until_ok SECONDS CMD..  runs CMD (quiet) until it succeeds, at most
#                           SECONDS; fails when it never did
passed=0 failed=0
say() { echo "${check_prefix:?}: $*"; }
check() {
  local what=$1
  shift
  if "$@"; then
    say "ok: ${check_label:+$check_label }$what"; passed=$((passed + 1))
  else
    say "FAILED: ${check_label:+$check_label }$what"; failed=$((failed + 1))
  fi
}
check_summary() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
until_ok() {
  local deadline=$(( $(date +%s) + $1 ))
  shift
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.5
  done
}
