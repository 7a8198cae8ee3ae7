# SPDX-License-Identifier: MIT
# bash completion for sockspec(1): the commands, the options of each, and
# their arguments: --profile the profile names (asked of `sockspec list`
# when completing, so they are those of the binary being typed), --case
# and --exclude the case ids of the profile given, --format, --framing,
# files for --cases, --output and --rerun-failed. Needs no bash-completion
# helpers; installed as share/bash-completion/completions/sockspec.

# The profile names: the first column of `sockspec list`, under its header.
_sockspec_profiles()
{
	"$1" list 2>/dev/null | while read -r name _; do
		[[ $name == profile || -z $name ]] || printf '%s\n' "$name"
	done
}

# The case ids (FAMILY/NAME) of profile $2: `sockspec list --profile NAME`
# prints a title line, then one case per line.
_sockspec_case_ids()
{
	"$1" list --profile "$2" 2>/dev/null | {
		read -r _
		while read -r id _; do printf '%s\n' "$id"; done
	}
}

# Fills COMPREPLY with the words of $2 (one a line) that start with $1.
_sockspec_reply()
{
	local IFS=$'\n'
	COMPREPLY=($(compgen -W "$2" -- "$1"))
}

_sockspec_files()
{
	local IFS=$'\n'
	compopt -o filenames 2>/dev/null
	COMPREPLY=($(compgen -f -- "$1"))
}

_sockspec()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local prog=${COMP_WORDS[0]} cmd= profile= i
	local run_opts='--profile --cases --all --target --connect --framing --case --exclude
		--format --output --timeout-scale --seed --ipv6 --unix -x --fail-fast
		--rerun-failed --repeat -j --jobs -v --help'

	# --opt=VALUE: bash splits it at "=" (COMP_WORDBREAKS).
	if [[ $prev == = && COMP_CWORD -ge 2 ]]; then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	elif [[ $cur == = ]]; then
		cur=
	fi
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		run | list | check) [[ -z $cmd ]] && cmd=${COMP_WORDS[i]} ;;
		--profile) profile=${COMP_WORDS[i + 1]}
			[[ $profile == = ]] && profile=${COMP_WORDS[i + 2]} ;;
		esac
	done

	case $prev in
	--profile)
		_sockspec_reply "$cur" "$(_sockspec_profiles "$prog")"
		return ;;
	--case | --exclude)
		[[ -n $profile ]] && _sockspec_reply "$cur" "$(_sockspec_case_ids "$prog" "$profile")"
		return ;;
	--format)
		_sockspec_reply "$cur" $'text\njson\njunit\ntap\nhtml'
		return ;;
	--framing)
		_sockspec_reply "$cur" $'line\nchunk'
		return ;;
	--cases | --output | --rerun-failed)
		_sockspec_files "$cur"
		return ;;
	--target | --connect | --timeout-scale | --seed | --repeat | -j | --jobs)
		return ;; # free text
	esac

	case $cmd in
	'')
		_sockspec_reply "$cur" $'run\nlist\ncheck\n--help\n--version' ;;
	run)
		_sockspec_reply "$cur" "$(printf '%s\n' $run_opts)" ;;
	list)
		_sockspec_reply "$cur" $'--profile\n--cases' ;;
	check)
		_sockspec_files "$cur" ;;
	esac
}

complete -F _sockspec sockspec
