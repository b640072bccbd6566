#!/usr/bin/env bash
# Packaging test: packs Re4.Recommenders, then uses the package the way a user of it would, from a throwaway console
# project outside the repository: `dotnet new console`, `dotnet add package Re4.Recommenders` from a local feed holding
# only the fresh package (plus the machine's default sources for everything else), `dotnet add package TorchSharp-cpu`,
# and a program (eng/pack-test/Program.cs) that trains a small model and recommends. The last line is
# "pack-test: OK" on success. Everything lives in one temporary folder, removed at exit (KEEP=1 keeps it).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
say() { printf 'pack-test: %s\n' "$*"; }
# Runs a command with its output in a log that is shown only when it fails.
quietly() { "$@" >"$work/step.log" 2>&1 || { cat "$work/step.log"; say "FAILED: $*"; exit 1; }; }

bash "$repo/eng/install-prereqs.sh" >/dev/null
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" MKL_NUM_THREADS="${MKL_NUM_THREADS:-1}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

work=$(mktemp -d "${TMPDIR:-/tmp}/re4-pack-test.XXXXXX")
if [ "${KEEP:-0}" = "1" ]; then say "keeping $work"; else trap 'rm -rf "$work"' EXIT; fi
feed=$work/feed app=$work/app

version=$(dotnet msbuild "$repo/src/Re4.Recommenders/Re4.Recommenders.csproj" -getProperty:Version)
torch=$(sed -n 's/.*Include="TorchSharp-cpu" Version="\([^"]*\)".*/\1/p' "$repo/Directory.Packages.props")
say "packing Re4.Recommenders $version"
quietly dotnet pack "$repo/src/Re4.Recommenders/Re4.Recommenders.csproj" -c Release -o "$feed"
for f in "Re4.Recommenders.$version.nupkg" "Re4.Recommenders.$version.snupkg"; do
  [ -f "$feed/$f" ] || { say "FAILED: dotnet pack did not write $f"; exit 1; }
done
# The package must carry its README, licence and XML docs, and depend on TorchSharp, never on a native backend.
nuspec=$(unzip -p "$feed/Re4.Recommenders.$version.nupkg" Re4.Recommenders.nuspec)
contents=$(unzip -Z1 "$feed/Re4.Recommenders.$version.nupkg")
for want in '<readme>PACKAGE.md</readme>' '<license type="expression">MIT</license>' 'id="TorchSharp"'; do
  grep -qF "$want" <<<"$nuspec" || { say "FAILED: the nuspec lacks $want"; exit 1; }
done
for want in PACKAGE.md lib/net8.0/Re4.Recommenders.dll lib/net8.0/Re4.Recommenders.xml; do
  grep -qxF "$want" <<<"$contents" || { say "FAILED: the package lacks $want"; exit 1; }
done
if grep -q 'id="TorchSharp-cpu"\|id="TorchSharp-cuda' <<<"$nuspec"; then say "FAILED: the package depends on a native backend"; exit 1; fi

# A private global packages folder, so the freshly packed version is what gets restored even when the machine's cache
# holds an older build of the same version. Every other package is linked from the machine's cache (libtorch alone is
# hundreds of megabytes) and nothing is downloaded that is already there.
machine=$(dotnet nuget locals global-packages --list | sed 's/^global-packages: *//')
export NUGET_PACKAGES=$work/packages
mkdir -p "$NUGET_PACKAGES"
if [ -d "$machine" ]; then
  for d in "$machine"/*/; do
    name=$(basename "$d")
    [ "$name" = "re4.recommenders" ] || ln -s "${d%/}" "$NUGET_PACKAGES/$name"
  done
fi

say "creating a console app in $app"
quietly dotnet new console -o "$app" --name PackTestApp --no-restore
# The machine's default sources stay (no <clear/>); the local feed is added beside them.
cat > "$app/nuget.config" <<CONFIG
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="re4-pack-test" value="$feed" />
  </packageSources>
</configuration>
CONFIG
cp "$repo/eng/pack-test/Program.cs" "$app/Program.cs"
quietly dotnet add "$app/PackTestApp.csproj" package Re4.Recommenders --version "$version"
quietly dotnet add "$app/PackTestApp.csproj" package TorchSharp-cpu --version "$torch"
grep -q "Include=\"Re4.Recommenders\" Version=\"$version\"" "$app/PackTestApp.csproj" || { say "FAILED: dotnet add package did not add Re4.Recommenders $version"; exit 1; }
# Proof that the app compiles against the package, not the source tree.
restored=$(find "$NUGET_PACKAGES/re4.recommenders/$version" -name 're4.recommenders.*.nupkg' | head -n 1)
[ -n "$restored" ] || { say "FAILED: Re4.Recommenders $version was not restored from the local feed"; exit 1; }

say "building and running the app"
quietly dotnet build "$app" -c Release
dotnet "$app/bin/Release/"*/PackTestApp.dll "$work/run"
