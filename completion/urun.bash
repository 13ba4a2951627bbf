# bash completion for urun(1)                              -*- shell-script -*-
#
# Commands and options come from `urun --help` and `urun COMMAND --help` of
# the binary being completed, so they cannot drift from it; container IDs
# come from `urun list -q` with the --root of the command line.  Works with
# and without the bash-completion package.

# Print "OPTION ARG" for each option line of the help text on stdin; ARG is
# empty for an option that takes no argument, and a short option is printed
# as its own line.
_urun_parse_options() {
	sed -nE 's/^ +(-([a-zA-Z]), )?(--[a-z0-9-]+)( ([A-Z][][A-Z:=._-]*))?( .*)?$/\3 \5\n-\2 \5/p' |
		sed '/^- /d'
}

# _urun_options URUN [COMMAND]: the options of urun, or of COMMAND.
_urun_options() {
	local urun=$1
	shift
	"$urun" "$@" --help 2>/dev/null | _urun_parse_options
}

_urun_commands() {
	"$1" --help 2>/dev/null | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p'
}

# The argument of an option whose help names it ARG.
_urun_complete_arg() {
	local option=$1 arg=$2 cur=$3
	case $option:$arg in
	*:DIR) compgen -d -- "$cur" ;;
	*:FILE | *:P | *:PATH) compgen -f -- "$cur" ;;
	--log-format:*) compgen -W 'text json' -- "$cur" ;;
	*:FMT) compgen -W 'table json' -- "$cur" ;;
	--rootless:*) compgen -W 'true false auto' -- "$cur" ;;
	*:MODE) compgen -W 'soft full strict ignore' -- "$cur" ;;
	*:CAP) compgen -W "$(_urun_capabilities)" -- "$cur" ;;
	esac
}

# The capabilities this urun knows, from its features document.
_urun_capabilities() {
	"$_urun_binary" features 2>/dev/null | sed -n 's/.*"\(CAP_[A-Z_]*\)".*/\1/p'
}

_urun_signals() {
	compgen -A signal | sed 's/^SIG//'
}

# _urun_arg_of OPTIONS WORD: the ARG of option WORD in the list, if it takes one.
_urun_arg_of() {
	awk -v o="$2" '$1 == o && NF > 1 { print $2; exit }' <<<"$1"
}

_urun() {
	local cur prev words cword
	if declare -F _init_completion >/dev/null; then
		_init_completion -n = || return
	else
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
		cur=${words[cword]}
		prev=${words[cword - 1]:-}
	fi
	local urun=${words[0]} i=1 w verb="" root=() globals options arg
	command -v "$urun" >/dev/null 2>&1 || urun=urun
	_urun_binary=$urun

	globals=$(_urun_options "$urun")
	while ((i < cword)); do
		w=${words[i]}
		case $w in
		--root) root=(--root "${words[i + 1]:-}") ;;
		--root=*) root=(--root "${w#--root=}") ;;
		-*) ;;
		*)
			verb=$w
			break
			;;
		esac
		[ -n "$(_urun_arg_of "$globals" "$w")" ] && ((i++))
		((i++))
	done

	if [ -z "$verb" ]; then
		options=$globals
	else
		options=$(_urun_options "$urun" "$verb")
	fi

	# --option=value, then a value after --option
	if [[ "$cur" == --*=* ]]; then
		arg=$(_urun_arg_of "$options" "${cur%%=*}")
		[ -n "$arg" ] && mapfile -t COMPREPLY < <(_urun_complete_arg "${cur%%=*}" "$arg" "${cur#*=}")
		return 0
	fi
	if ((cword > 1)) && [[ "$prev" == -* ]]; then
		arg=$(_urun_arg_of "$options" "$prev")
		if [ -n "$arg" ]; then
			mapfile -t COMPREPLY < <(_urun_complete_arg "$prev" "$arg" "$cur")
			return 0
		fi
	fi
	if [[ "$cur" == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$(cut -d' ' -f1 <<<"$options")" -- "$cur")
		return 0
	fi
	if [ -z "$verb" ]; then
		mapfile -t COMPREPLY < <(compgen -W "$(_urun_commands "$urun")" -- "$cur")
		return 0
	fi

	# Positional arguments of the command: count those before the cursor.
	local n=0
	for ((i = i + 1; i < cword; i++)); do
		w=${words[i]}
		if [[ "$w" == -* ]]; then
			[[ "$w" != *=* ]] && [ -n "$(_urun_arg_of "$options" "$w")" ] && ((i++))
			continue
		fi
		((n++))
	done
	case $verb:$n in
	create:0 | run:0 | restore:0 | spec:* | features:* | list:*) ;;
	kill:1) mapfile -t COMPREPLY < <(compgen -W "$(_urun_signals)" -- "$cur") ;;
	*:0) mapfile -t COMPREPLY < <(compgen -W "$("$urun" "${root[@]}" list -q 2>/dev/null)" -- "$cur") ;;
	exec:*) mapfile -t COMPREPLY < <(compgen -c -- "$cur") ;;
	esac
	return 0
}

complete -F _urun urun
