#!/usr/bin/env bash
# Packs QuantRuntime.Kernels, QuantRuntime and the QuantRuntime.Cli tool, then uses them as a
# user would: installs the tool from the packed artifacts into a temporary tool path and runs
# `quant --help`, `quant generate -m <the packaged model>` and `quant think` without -m (the
# default model beside quant.dll), and builds
# and runs samples/ChatClientSample against the packed QuantRuntime package (IChatClient only).
#
#   .ci/pack-and-smoke.sh [ARTIFACTS_DIR]     (default: a temporary folder, removed at the end)
#
# Nothing outside the temporary folder is changed except the repository's bin/obj folders:
# packages restore into a private folder, so a package of the same version packed earlier and
# cached in ~/.nuget/packages can never stand in for the one just packed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

work=$(mktemp -d "${TMPDIR:-/tmp}/quant-pack-smoke.XXXXXX")
trap 'rm -rf "$work"' EXIT
artifacts=${1:-$work/artifacts}
mkdir -p "$artifacts"
artifacts=$(cd "$artifacts" && pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 NO_COLOR=1

fail() { echo "pack-and-smoke: $*" >&2; exit 1; }
# Entries of a package, one a line, and one entry's text (python3, which the machine has; unzip may be absent).
entries() { python3 -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$1"; }
entry() { python3 -c 'import sys, zipfile; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode())' "$1" "$2"; }

echo "== pack (Release) into $artifacts"
for project in src/Kernels src/Runtime src/Cli; do
    dotnet pack "$project" -c Release -o "$artifacts" -nologo -v quiet
done
version=$(dotnet msbuild src/Runtime -getProperty:Version)
for id in QuantRuntime.Kernels QuantRuntime QuantRuntime.Cli; do
    [ -f "$artifacts/$id.$version.nupkg" ] || fail "$id.$version.nupkg was not produced"
done
ls -l "$artifacts"/*.nupkg | awk '{ printf "  %-40s %10d bytes\n", $9, $5 }' | sed "s|$artifacts/||"

echo "== package contents"
for id in QuantRuntime.Kernels QuantRuntime; do
    listing=$(entries "$artifacts/$id.$version.nupkg")
    nuspec=$(entry "$artifacts/$id.$version.nupkg" "$id.nuspec")
    grep -qx "lib/net10.0/$id.dll" <<<"$listing" || fail "$id: no lib/net10.0/$id.dll"
    grep -qx "lib/net10.0/$id.xml" <<<"$listing" || fail "$id: no XML documentation"
    grep -qx "README.md" <<<"$listing" || fail "$id: no README.md"
    grep -qx "LICENSE" <<<"$listing" || fail "$id: no LICENSE"
    grep -q '<license type="expression">MIT</license>' <<<"$nuspec" || fail "$id: no MIT licence expression"
    if grep -qi "llamasharp" <<<"$nuspec$listing"; then fail "$id depends on or carries LLamaSharp"; fi
done
tool=$(entries "$artifacts/QuantRuntime.Cli.$version.nupkg")
grep -qx "tools/net10.0/any/DotnetToolSettings.xml" <<<"$tool" || fail "QuantRuntime.Cli is not a .NET tool"
grep -qx "tools/net10.0/any/models/arith-reasoner.gguf" <<<"$tool" || fail "QuantRuntime.Cli does not carry models/arith-reasoner.gguf"
if grep -q "runtimes/linux-musl" <<<"$tool"; then fail "QuantRuntime.Cli carries native assets outside QuantNativeRuntimes"; fi
echo "  ok: lib, XML docs, README, LICENSE, no LLamaSharp in the libraries; the tool carries its models"

echo "== dotnet tool install --tool-path (from the artifacts only)"
dotnet tool install --tool-path "$work/tool" --add-source "$artifacts" QuantRuntime.Cli --version "$version" >/dev/null
quant="$work/tool/quant"
model=$(find "$work/tool/.store" -path "*/tools/net10.0/any/models/arith-reasoner-q8_0.gguf" | head -n 1)
[ -n "$model" ] || fail "the installed tool has no models/arith-reasoner-q8_0.gguf"

echo "== quant --help"
"$quant" --help >"$work/help.txt" || fail "quant --help exited $?"
grep -q "generate" "$work/help.txt" || fail "quant --help does not list generate"
head -n 3 "$work/help.txt"

echo "== quant generate (the packaged model)"
"$quant" generate -m "$model" -p "What is 4821 + 3797?" -n 64 --temp 0 --json >"$work/generate.json" \
    || fail "quant generate exited $?"
grep -q '"generated_tokens": [1-9]' "$work/generate.json" || fail "quant generate produced no tokens: $(cat "$work/generate.json")"
grep -E '"(text|generated_tokens|stop_reason)"' "$work/generate.json" | sed 's/^ */  /'

echo "== quant think without -m (the model bundled beside quant.dll), run outside the repository"
(cd "$work" && "$quant" think -p "What is 4821 + 3797?" --json >"$work/think.json") || fail "quant think exited $?"
grep -q '"answer": "8618"' "$work/think.json" || fail "quant think did not answer 8618: $(cat "$work/think.json")"
echo "  answer: 8618"

echo "== samples/ChatClientSample against the packed QuantRuntime package"
cache=$(dotnet nuget locals global-packages --list | sed 's/^global-packages: *//')
mkdir -p "$work/repo"
cp -r "$root/samples" "$root/eng" "$work/repo/"
rm -rf "$work/repo/samples/ChatClientSample/bin" "$work/repo/samples/ChatClientSample/obj"
# QuantRuntime from the artifacts only; its dependencies from the local package cache, which packing filled.
cat >"$work/repo/samples/nuget.config" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="artifacts" value="$artifacts" />
    <add key="cache" value="$cache" />
  </packageSources>
  <packageSourceMapping>
    <packageSource key="artifacts"><package pattern="QuantRuntime" /><package pattern="QuantRuntime.*" /></packageSource>
    <packageSource key="cache"><package pattern="*" /></packageSource>
  </packageSourceMapping>
</configuration>
EOF
sample="$work/repo/samples/ChatClientSample"
dotnet restore "$sample" --packages "$work/packages" -nologo -v quiet
[ -d "$work/packages/quantruntime/$version" ] || fail "the sample did not restore QuantRuntime $version from the artifacts"
dotnet build "$sample" -c Release --no-restore -nologo -v quiet
dotnet "$sample/bin/Release/net10.0/ChatClientSample.dll" "$root/models/arith-reasoner-q8_0.gguf" "What is 4821 + 3797?" | tee "$work/sample.txt"
grep -q -- "--- reasoning ---" "$work/sample.txt" || fail "the sample printed no reasoning"
grep -A1 -- "--- answer ---" "$work/sample.txt" | grep -q "^8618$" || fail "the sample's answer is not 8618"

echo "pack-and-smoke: ok (QuantRuntime $version)"
