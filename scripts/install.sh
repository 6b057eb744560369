#!/bin/sh
# Helm's install/update hook for the osc plugin: use the prebuilt bin/helm-osc when the plugin came
# with one, otherwise build it from this checkout with cargo. It downloads nothing but the Rust
# crates cargo needs to build.
set -eu

dir="${HELM_PLUGIN_DIR:-$(cd "$(dirname "$0")/.." && pwd)}"
# Helm 4 runs hooks from the plugin folder it installed, which may be a link to helm4/ in a clone.
[ -f "$dir/Cargo.toml" ] || { [ -f "$dir/../Cargo.toml" ] && dir="$dir/.."; }
bin="$dir/bin/helm-osc"

if [ -x "$bin" ] && [ "${1:-}" != "--update" ]; then
  echo "helm-osc: using the prebuilt binary $bin" >&2
  exit 0
fi
if [ ! -f "$dir/Cargo.toml" ]; then
  echo "helm-osc: no prebuilt binary at $bin and no source to build it from: install a release that ships bin/helm-osc" >&2
  exit 1
fi
if ! command -v cargo >/dev/null 2>&1; then
  echo "helm-osc: no prebuilt binary at $bin, and building one needs cargo (Rust, https://rustup.rs); install it and run: helm plugin update osc" >&2
  exit 1
fi
echo "helm-osc: building helm-osc from source with cargo (release build, takes a few minutes)..." >&2
cargo build --release --locked --quiet --manifest-path "$dir/Cargo.toml" -p helm-osc
target="${CARGO_TARGET_DIR:-$dir/target}"
mkdir -p "$dir/bin"
cp "$target/release/helm-osc" "$bin.tmp"
mv "$bin.tmp" "$bin"
echo "helm-osc: built $bin" >&2
