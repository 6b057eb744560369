#!/bin/sh
# Installs the helm adapter: a venv with helm-python-sdk (Helm v4's engine as a shared
# library) and an executable `bin/helm` that runs tools/helm-adapter/helm with it.
# Idempotent. Prints the path of that `helm` on stdout; progress goes to stderr.
set -eu

SDK_VERSION=0.2.2
script_dir=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$script_dir/../.." && pwd)
home=${HELM_ADAPTER_HOME:-$repo/target/helm-adapter}
# The wrapper must work from any directory, so it names the venv by absolute path.
mkdir -p "$home"
home=$(cd "$home" && pwd)
python="$home/bin/python"
wrapper="$home/bin/helm"
wrapper_text="#!/bin/sh
exec \"$python\" \"$script_dir/helm\" \"\$@\""

installed_version() {
    "$python" -c 'import importlib.metadata as m; print(m.version("helm-python-sdk"))' 2>/dev/null || true
}

if [ ! -x "$python" ]; then
    echo "helm-adapter: creating a python venv at $home" >&2
    python3 -m venv "$home"
fi

if [ "$(installed_version)" != "$SDK_VERSION" ]; then
    echo "helm-adapter: installing helm-python-sdk==$SDK_VERSION into $home" >&2
    "$python" -m pip install --quiet --disable-pip-version-check "helm-python-sdk==$SDK_VERSION" >&2
fi

if [ ! -x "$wrapper" ] || [ "$(cat "$wrapper")" != "$wrapper_text" ]; then
    echo "helm-adapter: writing $wrapper" >&2
    printf '%s\n' "$wrapper_text" >"$wrapper"
    chmod +x "$wrapper"
fi

echo "$wrapper"
