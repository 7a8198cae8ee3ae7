#!/bin/bash -eu
# SPDX-License-Identifier: MIT
# ClusterFuzzLite / OSS-Fuzz entry point: the environment (CC, CXX,
# CFLAGS, CXXFLAGS, LIB_FUZZING_ENGINE, OUT, WORK) is the build contract's,
# which fuzz/build.sh follows.
"$SRC/sockspec/fuzz/build.sh"
