#!/bin/bash -eu
# Builds tbjwt's cargo-fuzz targets for ClusterFuzzLite / OSS-Fuzz (see docs/fuzzing.md).
cd "$SRC/tbjwt/fuzz"
cargo fuzz build -O
for target in spec_pipe_names spec_event diff_pipe_names; do
  cp "target/x86_64-unknown-linux-gnu/release/$target" "$OUT/"
done
for target in spec_pipe_names diff_pipe_names; do
  (cd "$SRC/tbjwt/fixtures/fuzz/corpus/pipe_names" && zip -q -r "$OUT/${target}_seed_corpus.zip" .)
  cp "$SRC/tbjwt/fixtures/fuzz/pipe_names.dict" "$OUT/$target.dict"
done
