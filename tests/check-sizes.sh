#!/bin/sh
# The size budget of the style guide: no .c file over 800 lines.
# Prints TAP so meson counts it like the unit tests.
root=${1:-.}
n=0
fail=0
for f in "$root"/src/*.c "$root"/src/commands/*.c "$root"/userns/*.c "$root"/helpers/*/*.c; do
  [ -f "$f" ] || continue
  n=$((n + 1))
  lines=$(wc -l < "$f")
  if [ "$lines" -gt 800 ]; then
    echo "not ok $n - ${f#"$root"/} has $lines lines (budget: 800)"
    fail=1
  else
    echo "ok $n - ${f#"$root"/} ($lines lines)"
  fi
done
echo "1..$n"
exit $fail
