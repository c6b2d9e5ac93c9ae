# testlib.sh - what the shell tests share: the nin-cl binary, ok/bad counters and the closing line.
# Sourced: . "$NIN_TEST_SRCDIR/testlib.sh"
set -u
NIN_CL=${NIN_CL:-./nin-cl}
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; }
# finish NAME: print "NAME: N passed, M failed" and exit non-zero when anything failed
finish() { echo "$1: $pass passed, $fail failed"; [ $fail -eq 0 ]; exit $?; }
