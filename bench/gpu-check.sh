#!/usr/bin/env bash
# gpu-check: every ILGPU kernel and a random-model forward pass against the scalar reference,
# then device copy bandwidth, Q4_0/Q8_0 GEMV at 4096x4096 and 14336x4096, and decode tok/s on
# the 0.84B benchmark shape, in one summary table (< 5 minutes on a data-centre GPU).
#
#   bench/gpu-check.sh publish            # where the .NET SDK is: writes out/gpu-check/gpu-check
#   bench/gpu-check.sh [gpu-check args]   # where the GPU is: runs it (no SDK needed)
#
# gpu-check args: --device cuda|opencl|ilgpu-cpu (default cuda), --quick (small shapes), --list.
# The published file is self-contained (the .NET runtime inside, compressed, ~35 MB): copy
# out/gpu-check/gpu-check to the GPU machine, or publish there if it has the SDK. It needs the
# NVIDIA driver's libcuda (libcuda.so or libcuda.so.1) and nothing else.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${GPU_CHECK_OUT:-$root/out/gpu-check}"
binary="$out/gpu-check"

publish() {
    command -v dotnet >/dev/null || { echo "gpu-check: publishing needs the .NET SDK (dotnet)" >&2; exit 2; }
    dotnet publish "$root/bench/GpuCheck/GpuCheck.csproj" -c Release -r linux-x64 -o "$out" -nologo -v quiet \
        -p:DebugType=none -p:GenerateDocumentationFile=false
    local bytes
    bytes=$(stat -c %s "$binary")
    echo "gpu-check: published $binary ($((bytes / 1048576)) MiB)"
    if (( bytes >= 64 * 1048576 )); then
        echo "gpu-check: the published file exceeds 64 MiB" >&2
        exit 1
    fi
}

if [[ "${1:-}" == "publish" ]]; then
    publish
    exit 0
fi
if [[ ! -x "$binary" ]]; then
    echo "gpu-check: $binary not found; publishing it first" >&2
    publish
fi
# A compressed single file extracts its native parts once; keep them beside the binary.
export DOTNET_BUNDLE_EXTRACT_BASE_DIR="${DOTNET_BUNDLE_EXTRACT_BASE_DIR:-$out/.extract}"
exec "$binary" "$@"
