#!/usr/bin/env bash
# Configures and builds everything into ./build (Release, warnings as errors, Ninja, ccache if
# present). BUILD_TYPE picks another CMake build type.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
# CMAKE_ARGS and BUILD_TARGETS are space-separated lists.
read -r -a cmake_args <<< "${CMAKE_ARGS:-}"
read -r -a targets <<< "${BUILD_TARGETS:-}"
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" -DDM_WERROR=ON "${cmake_args[@]}" >/dev/null
if [ "${#targets[@]}" -gt 0 ]; then
  cmake --build "$BUILD_DIR" -j"$(nproc)" --target "${targets[@]}"
else
  cmake --build "$BUILD_DIR" -j"$(nproc)"
fi
