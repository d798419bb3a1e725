# Shared helpers for the scripts in scripts/bench (sourced, not run).

# bench_cpu_busy SECONDS: CPU cores busy on the whole machine over the
# next SECONDS, from /proc/stat (idle and iowait count as not busy).
bench_cpu_busy() {
	local s=$1 a b
	a=$(head -1 /proc/stat)
	sleep "$s"
	b=$(head -1 /proc/stat)
	awk -v a="$a" -v b="$b" -v n="$(nproc)" 'BEGIN {
		split(a, x); split(b, y); busy = 0; total = 0
		for (i = 2; i <= 9; i++) { d = y[i] - x[i]; total += d; if (i != 5 && i != 6) busy += d }
		printf "%.2f", (total > 0 ? busy / total * n : 0)
	}'
}

bench_load1() { cut -d' ' -f1 /proc/loadavg; }

# bench_wait_quiet MAX_WAIT_S MAX_LOAD: wait until the 1-minute load
# average and the CPU use over 5 s are both below MAX_LOAD (in cores), so
# that other work on the machine does not skew the figures; after MAX_WAIT_S
# go on anyway and say so. Prints what it saw to stderr; sets
# BENCH_QUIET_NOTE for the report.
bench_wait_quiet() {
	local max_wait=$1 max_load=$2 start=$SECONDS busy load
	while :; do
		busy=$(bench_cpu_busy 5)
		load=$(bench_load1)
		if awk -v b="$busy" -v l="$load" -v m="$max_load" 'BEGIN { exit !(b < m && l < m) }'; then
			BENCH_QUIET_NOTE="machine quiet before measuring: load average ${load}, CPU busy ${busy} cores over 5 s"
			break
		fi
		if ((SECONDS - start >= max_wait)); then
			BENCH_QUIET_NOTE="machine NOT quiet after waiting ${max_wait}s, measured anyway: load average ${load}, CPU busy ${busy} cores over 5 s"
			break
		fi
		echo "waiting for a quiet machine: load average ${load}, CPU busy ${busy} cores (want < ${max_load}; $((max_wait - (SECONDS - start)))s left)" >&2
		sleep 10
	done
	echo "$BENCH_QUIET_NOTE" >&2
}

# bench_header SRC: what the figures were measured on (BENCH_COMMIT names
# the commit when SRC is not a git checkout).
bench_header() {
	local commit
	commit=${BENCH_COMMIT:-$(git -C "$1" rev-parse --short HEAD 2>/dev/null || echo unknown)}
	echo "date:      $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "machine:   $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo))"
	echo "software:  $(tesseract --version 2>&1 | head -1), $(go version | cut -d' ' -f3), commit ${commit} (server built from ${1})"
	echo "quiet:     ${BENCH_QUIET_NOTE:-not checked}"
}
