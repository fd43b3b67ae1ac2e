# lib.sh - shared by the testbed's scripts (testbed, node, hook, program,
# helper).  Sourced, never run.  Everything a running testbed knows about
# itself is in $TB_DIR/etc/testbed.env, written once by `testbed up`.

# shellcheck disable=SC2034
TB_SYS_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# tb_load DIR: read DIR/etc/testbed.env (fails when DIR holds no testbed)
tb_load() {
	[ -r "$1/etc/testbed.env" ] || return 1
	# shellcheck disable=SC1091
	. "$1/etc/testbed.env"
}

tb_now() { date +%FT%T.%3N; }

# tb_log FILE MESSAGE...: one time-stamped line
tb_log() {
	_f=$1; shift
	printf '%s %s\n' "$(tb_now)" "$*" >>"$_f"
}

# tb_alive PID: the process exists and is not a zombie (our daemons are
# orphans, and PID 1 may be slow to reap them)
tb_alive() {
	[ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 1
	_s=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
	[ "${_s%% *}" != Z ]
}

# tb_pid FILE PATTERN: print the PID in FILE if that process is alive and its
# command line contains PATTERN (guards against a recycled PID)
tb_pid() {
	_p=$(cat "$1" 2>/dev/null) || return 1
	tb_alive "$_p" || return 1
	tr '\0' ' ' <"/proc/$_p/cmdline" 2>/dev/null | grep -qF -- "$2" || return 1
	echo "$_p"
}

# tb_stop PID...: SIGTERM all of them at once, wait up to 6 s, then SIGKILL
tb_stop() {
	[ $# -eq 0 ] && return 0
	kill -TERM "$@" 2>/dev/null
	_i=0
	while [ $_i -lt 60 ]; do
		_left=""
		for _p in "$@"; do tb_alive "$_p" && _left="$_left $_p"; done
		[ -z "$_left" ] && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	# shellcheck disable=SC2086
	kill -KILL $_left 2>/dev/null
	sleep 0.2
	return 0
}

# tb_ns_pids NETNS: every process living in that network namespace
tb_ns_pids() { ip netns pids "$1" 2>/dev/null | tr '\n' ' '; }

# tb_is_image NAME: is NAME one of the images Slurm nodes run (TB_IMAGES)?
tb_is_image() {
	case ",$TB_IMAGES," in *,"$1",*) [ -n "$1" ] ;; *) return 1 ;; esac
}
