#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build output must never be tracked: list every file in the git index that
# is an ELF object or an ar archive (.o, .ko, .a, executables) and fail if
# there is one.  file(1) is not on a fresh host, so the magic bytes are read
# directly.  Run by `make check-tracked`, which `make checkpatch` and
# `make check` run.
#
# Usage: test/check-tracked.sh
set -eu

cd "$(dirname "$0")/.."
if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	echo "check-tracked: not a git checkout, nothing to check"
	exit 0
fi
# shellcheck disable=SC2016 # expanded by the inner sh
bad=$(git ls-files -z | xargs -0 -r sh -c 'for f; do
	[ -f "$f" ] || continue
	case $(head -c 8 "$f" | od -An -c | tr -d " \n") in
	"177ELF"* | "!<arch>"*) echo "$f" ;;
	esac
done' sh)
if [ -n "$bad" ]; then
	echo "build output tracked in git (git rm --cached it; .gitignore lists binaries):" >&2
	echo "$bad" >&2
	exit 1
fi
echo "check-tracked: no ELF file or archive in the index"
