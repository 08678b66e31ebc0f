#!/usr/bin/env bash
# Fails (exit 1) when git tracks a file that looks like a secret, and lists every such file:
#   * names ending in .key or .pem;
#   * environment files: .env, .env.<anything> (but .env.example / .env.sample / .env.template),
#     <name>.env;
#   * files named like keys (key, secret, private, mnemonic or wallet in the file name) whose
#     whole content is a private key: 0x + 64 hex digits (or the 64 hex digits alone).
# Usage: bash .ci/no-tracked-keys.sh [REPO_DIR]   (default: the current directory)
set -euo pipefail
cd "${1:-.}"
git rev-parse --is-inside-work-tree >/dev/null
found=0
while IFS= read -r -d '' path; do
  name="${path##*/}"
  lower="$(printf '%s' "$name" | tr '[:upper:]' '[:lower:]')"
  why=""
  case "$lower" in
    *.key | *.pem) why="key file" ;;
    .env.example | .env.sample | .env.template) ;;
    .env | .env.* | *.env) why="environment file" ;;
    *key* | *secret* | *private* | *mnemonic* | *wallet*)
      if [ -f "$path" ] && [ "$(wc -c <"$path")" -le 256 ] &&
        tr -d ' \t\r\n' <"$path" | grep -Eqx '(0x)?[0-9a-fA-F]{64}'; then
        why="private key (0x + 64 hex) in a key-named file"
      fi
      ;;
  esac
  if [ -n "$why" ]; then
    printf '%s: %s\n' "$path" "$why"
    found=1
  fi
done < <(git ls-files -z)
if [ "$found" -ne 0 ]; then
  echo "tracked files that look like secrets: remove them (git rm --cached) and rotate the keys" >&2
  exit 1
fi
