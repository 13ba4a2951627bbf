#!/usr/bin/env bats
# man: the man pages in man/ and the bash completion agree with `--help`:
# one page per command, the same long and short options on both sides, every
# page built by man/meson.build and rendered without warnings.  urun-slirp(1)
# is the helper's page, not a command's.

load helpers

MAN_DIR="$INTEGRATION_ROOT/../../man"
COMPLETION="$INTEGRATION_ROOT/../../completion/urun.bash"

setup() {
	requires urun
	[ -x "$URUN" ] || skip "runtime \`$URUN\` not found: build it (ninja -C build)"
}

teardown() {
	teardown_bundle
}

# Pages of programs of their own, named urun-* but not commands.
HELPER_PAGES="urun-slirp"

# The commands of `urun --help`.
help_commands() {
	"$URUN" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p'
}

# "--long -s" (or "--long ") for each option of `PROGRAM [COMMAND] --help`
# (urun's indents its options, urun-slirp's, like slirp4netns's, does not,
# and may print `--long=VALUE`).
program_options() {
	"$@" --help | sed -nE 's/^ *(-([a-zA-Z]), )?(--[a-z0-9-]+)([= ].*)?$/\3 \2/p' | sort -u
}

help_options() {
	program_options "$URUN" "$@"
}

# The same for the option headings of PAGE: a line `**-b**, **--bundle**=*DIR*`
# or `**--keep**` followed by its definition, a line starting with `: `.
page_options() {
	awk '/^: / && prev ~ /^\*\*-/ { print prev } { prev = $0 }' "$MAN_DIR/$1.1.md" |
		sed -nE 's/^\*\*-([a-zA-Z])\*\*, \*\*(--[a-z0-9-]+)\*\*.*/\2 \1/p
			s/^\*\*(--[a-z0-9-]+)\*\*(=.*)?$/\1 /p' | sort -u
}

# compare_options PAGE [COMMAND]: print the differences, fail if any.
compare_options() {
	local page=$1
	shift
	compare_program_options "$page" "$URUN" "$@"
}

# compare_program_options PAGE PROGRAM [COMMAND]: the same for any program.
compare_program_options() {
	local page=$1 diff
	shift
	diff=$(diff <(program_options "$@") <(page_options "$page") |
		sed -n 's/^< /only in --help: /p; s/^> /only in the page: /p')
	[ -z "$diff" ] && return 0
	echo "$page.1.md and \`$* --help\` differ:" >&2
	echo "$diff" | sed 's/^/  /' >&2
	return 1
}

@test "man: one page per command of urun --help, and no other" {
	local verb page missing="" extra=""
	for verb in $(help_commands); do
		[ -f "$MAN_DIR/urun-$verb.1.md" ] || missing+=" $verb"
	done
	for page in "$MAN_DIR"/urun-*.1.md; do
		verb=$(basename "$page" .1.md)
		[[ " $HELPER_PAGES " == *" $verb "* ]] && continue
		verb=${verb#urun-}
		help_commands | grep -qx "$verb" || extra+=" $verb"
	done
	[ -z "$missing" ] || echo "commands without a page:$missing" >&2
	[ -z "$extra" ] || echo "pages of no command:$extra" >&2
	[ -z "$missing$extra" ]
}

@test "man: urun(1) has every global option of urun --help, and no other" {
	compare_options urun
}

@test "man: urun(1) lists every command and points to its page" {
	local verb missing=""
	for verb in $(help_commands); do
		grep -qx "\*\*$verb\*\*" "$MAN_DIR/urun.1.md" &&
			grep -q "\*\*urun-$verb\*\*(1)" "$MAN_DIR/urun.1.md" || missing+=" $verb"
	done
	[ -z "$missing" ] || { echo "not in urun.1.md's COMMANDS:$missing" >&2; return 1; }
}

@test "man: each command's page has the options of its --help, and no other" {
	local verb failed=0
	for verb in $(help_commands); do
		[ -f "$MAN_DIR/urun-$verb.1.md" ] || continue
		compare_options "urun-$verb" "$verb" || failed=1
	done
	[ "$failed" -eq 0 ]
}

@test "man: urun-slirp(1) has every option of urun-slirp --help, and no other" {
	local slirp
	slirp=$(find_slirp) || true
	[[ "$slirp" == */urun-slirp ]] || skip "urun-slirp not built (helpers/urun-slirp next to \`$URUN\`)"
	compare_program_options urun-slirp "$slirp"
}

@test "man: man/meson.build builds every page" {
	local page name missing=""
	for page in "$MAN_DIR"/*.1.md; do
		name=$(basename "$page" .1.md)
		grep -q "^  '$name',$" "$MAN_DIR/meson.build" || missing+=" $name"
	done
	[ -z "$missing" ] || { echo "not in man/meson.build:$missing" >&2; return 1; }
}

@test "man: the pages render without warnings" {
	command -v go-md2man >/dev/null || skip "test requires go-md2man"
	command -v man >/dev/null || skip "test requires man"
	local page out
	for page in "$MAN_DIR"/*.1.md; do
		out="$BATS_TEST_TMPDIR/$(basename "$page" .md)"
		go-md2man -in "$page" -out "$out"
		run --separate-stderr env MANWIDTH=80 man --warnings -l "$out"
		[ "$status" -eq 0 ]
		[ -z "$stderr" ] || { echo "$page: $stderr" >&2; return 1; }
		# The NAME line is what whatis(1) and apropos(1) index.
		[[ "${lines[2]}" == *"$(basename "$page" .1.md) - "* ]]
	done
}

# complete WORD...: what the completion offers for the last WORD.
complete_words() {
	# shellcheck source=../../completion/urun.bash
	source "$COMPLETION"
	COMP_WORDS=("$URUN" "$@")
	COMP_CWORD=$#
	COMPREPLY=()
	_urun
	printf '%s\n' "${COMPREPLY[@]}"
}

@test "completion: commands and options come from --help" {
	run complete_words ""
	[ "$output" = "$(help_commands)" ]
	run complete_words cr
	[ "$output" = create ]
	run complete_words --log-
	[ "$output" = --log-format ]
	run complete_words --log-format ""
	[ "$output" = $'text\njson' ]
	run complete_words --root /tmp update --memory-s
	[ "$output" = --memory-swap ]
	run complete_words run -
	[ "$(sort <<<"$output")" = "$(help_options run | awk '{ print $1 } $2 { print "-" $2 }' | sort)" ]
	run complete_words list --format ""
	[ "$output" = $'table\njson' ]
	run complete_words exec --cap CAP_SYS_AD
	[ "$output" = CAP_SYS_ADMIN ]
}

@test "completion: container IDs from list, signals for kill" {
	setup_bundle
	set_cmd_waiting
	urun run -d c-compl
	[ "$status" -eq 0 ]
	run complete_words --root "$ROOT" kill c-c
	[ "$output" = c-compl ]
	run complete_words --root "$ROOT" kill c-compl TE
	[ "$output" = TERM ]
	run complete_words "--root=$ROOT" exec --cwd / c-
	[ "$output" = c-compl ]
	run complete_words --root "$ROOT" create c-
	[ -z "$output" ]
}
