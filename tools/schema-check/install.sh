#!/bin/sh
# Installs the schema check: a venv with kubernetes-validate (Kubernetes' own OpenAPI schemas,
# converted to JSON schema and shipped inside the package, so nothing is fetched at check time)
# and an executable `bin/osc-schema-check` that runs tools/schema-check/check.py with it.
# Idempotent. Prints the path of that command on stdout; progress goes to stderr.
set -eu

# 1.31.0 ships the schemas of Kubernetes 1.22 to 1.31, every version the platform's clusters run.
VALIDATE_VERSION=1.31.0
script_dir=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$script_dir/../.." && pwd)
home=${SCHEMA_CHECK_HOME:-$repo/target/schema-check}
# The wrapper must work from any directory, so it names the venv by absolute path.
mkdir -p "$home"
home=$(cd "$home" && pwd)
python="$home/bin/python"
wrapper="$home/bin/osc-schema-check"
wrapper_text="#!/bin/sh
exec \"$python\" \"$script_dir/check.py\" \"\$@\""

installed_version() {
    "$python" -c 'import importlib.metadata as m; print(m.version("kubernetes-validate"))' 2>/dev/null || true
}

if [ ! -x "$python" ]; then
    echo "schema-check: creating a python venv at $home" >&2
    python3 -m venv "$home"
fi

if [ "$(installed_version)" != "$VALIDATE_VERSION" ]; then
    echo "schema-check: installing kubernetes-validate==$VALIDATE_VERSION into $home" >&2
    "$python" -m pip install --quiet --disable-pip-version-check "kubernetes-validate==$VALIDATE_VERSION" >&2
fi

if [ ! -x "$wrapper" ] || [ "$(cat "$wrapper")" != "$wrapper_text" ]; then
    echo "schema-check: writing $wrapper" >&2
    printf '%s\n' "$wrapper_text" >"$wrapper"
    chmod +x "$wrapper"
fi

echo "$wrapper"
