#!/bin/bash
# usage: fuzz_pass.sh PASS target:runs ...   (binaries must be built: cargo fuzz build -s none)
cd /work/main/fuzz
pass=$1; shift
bin=target/x86_64-unknown-linux-gnu/release
for spec in "$@"; do
  t=${spec%%:*}; runs=${spec##*:}
  log=logs/$t.$pass.log
  mkdir -p artifacts/$t
  echo "== $t runs=$runs start $(date -u +%FT%TZ)" > $log
  echo "== command: $bin/$t -artifact_prefix=artifacts/$t/ -runs=$runs -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 corpus/$t" >> $log
  $bin/$t -artifact_prefix=artifacts/$t/ -runs=$runs -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 corpus/$t >> $log 2>&1
  echo "== exit $? end $(date -u +%FT%TZ)" >> $log
done
