#!/usr/bin/env bash
# tools/slurm_check.sh: runs the README's Slurm recipe on a real single-node Slurm and checks that
# the merged results equal a local run byte for byte.
#
#   bash tools/slurm_check.sh [--shards N] [--flags "REPRO FLAGS"] [--readme FILE] [--keep]
#
#   1. Installs slurmctld, slurmd, slurm-client and munge with apt-get if they are missing.
#   2. Copies the working tree to a temporary folder (the repository's results/ is never touched),
#      writes a minimal slurm.conf there (one node, localhost, no cgroups) and starts munged,
#      slurmctld and slurmd on it; waits until `sinfo` shows the node idle.
#   3. Takes `repro.sbatch` and the submit commands from README.md (or --readme FILE), between
#      `<!-- slurm:start -->` and `<!-- slurm:end -->`, and runs them as written, except for two
#      the two lines that the README leaves to the user: `flags=` (here --flags, default
#      "--only computation_graphs --only convergence") and `shards=` (here --shards, default 3).
#   4. Waits for every job, then runs `deno task repro $flags --workers 1 --out local` in the same
#      copy and compares every file of results/ with local/:
#      - identical/differ: every file byte for byte, except those below;
#      - JSON records (unit outputs under units/, report sections under .repro/report/) are
#        compared without their "seconds" field (the wall time their units took), everything else
#        in them byte for byte;
#      - excluded (timing): `REPORT.md` (wall time of the run and seconds per reproduction) and
#        every file whose name contains `_timing` (wall-clock tables and their charts).
#      Prints `N identical, N differ, N excluded (timing)`; exits 1 if any file differs or a job
#      failed, 2 for a usage error or a cluster that would not start.
#   5. Cancels what is left, stops the three daemons it started (by pid) and removes the
#      temporary folder (kept with --keep, for the job logs).
#
# Needs root (slurmd runs jobs as their user), npx (the README's launcher) and apt-get or the
# packages already installed. Pick reproductions whose non-`_timing` outputs are deterministic:
# `cost` prints measured times in charts and notes that are not named `_timing`.
set -euo pipefail
exec </dev/null

shards=3
flags="--only computation_graphs --only convergence"
keep=0
readme=README.md
timeout_s=${SGDLAB_SLURM_TIMEOUT:-1200}
while [ $# -gt 0 ]; do
  case $1 in
  --shards)
    [[ ${2-} =~ ^[1-9][0-9]*$ ]] || {
      echo "slurm_check: --shards needs a positive integer, got '${2-}'" >&2
      exit 2
    }
    shards=$2
    shift 2
    ;;
  --flags)
    [ $# -ge 2 ] || {
      echo "slurm_check: --flags needs a value, e.g. --flags \"--only convergence\"" >&2
      exit 2
    }
    flags=$2
    shift 2
    ;;
  --readme)
    [ -f "${2-}" ] || {
      echo "slurm_check: --readme needs an existing file, got '${2-}'" >&2
      exit 2
    }
    readme=$(realpath "$2")
    shift 2
    ;;
  --keep)
    keep=1
    shift
    ;;
  *)
    echo "slurm_check: unknown argument '$1'; usage: bash tools/slurm_check.sh [--shards N] [--flags \"REPRO FLAGS\"] [--readme FILE] [--keep]" >&2
    exit 2
    ;;
  esac
done

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
export NO_COLOR=1 DENO_NO_UPDATE_CHECK=1 DEBIAN_FRONTEND=noninteractive
say() { printf 'slurm_check: %s\n' "$*"; }
die() {
  printf 'slurm_check: %s\n' "$*" >&2
  exit 2
}
fail() {
  printf 'slurm_check: %s\n' "$*" >&2
  exit 1
}

[ "$(id -u)" -eq 0 ] || die "must run as root: slurmd starts the jobs as their user (try sudo)"
command -v npx >/dev/null || die "npx is not on PATH; the README's recipe runs 'npx --yes deno@2.9.6'"

# 1. Packages ----------------------------------------------------------------------------------
missing=()
for tool in munged:munge slurmctld:slurmctld slurmd:slurmd sbatch:slurm-client; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin" command -v "${tool%%:*}" >/dev/null 2>&1 ||
    missing+=("${tool#*:}")
done
export PATH="$PATH:/usr/sbin:/sbin"
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]} (apt-get)"
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    die "could not install ${missing[*]} with apt-get"
fi

# 2. A private cluster in a temporary folder ---------------------------------------------------
WORK=$(mktemp -d /tmp/sgdlab-slurm.XXXXXX)
chmod 755 "$WORK"
pids=()
# The processes of this cluster's jobs (their slurmstepd and what the job scripts started): all
# carry SLURM_CONF=<this cluster's slurm.conf> in their environment, from slurmd or from sbatch.
cluster_processes() {
  (
    unset SLURM_CONF
    for env in /proc/[0-9]*/environ; do
      pid=${env#/proc/}
      pid=${pid%/environ}
      [ "$pid" = "$$" ] || [[ " ${pids[*]} " == *" $pid "* ]] && continue
      tr '\0' '\n' 2>/dev/null <"$env" | grep -qxF "SLURM_CONF=$1" && echo "$pid"
    done
  )
}
cleanup() {
  local status=$? conf=${SLURM_CONF-} pid leftovers
  set +e
  trap '' INT TERM # a second Ctrl-C must not cut the cleanup short
  if [ -n "$conf" ] && [ ${#pids[@]} -gt 0 ]; then
    # Cancel what is left and let the job steps end while slurmd still answers them.
    scancel --partition=sgdlab >/dev/null 2>&1
    # Quiet means three checks in a row, a second apart: a launch in flight at the scancel
    # still starts a slurmstepd, which hangs if slurmd is gone.
    local quiet=0
    for _ in $(seq 1 30); do
      if [ -z "$(squeue -h -p sgdlab 2>/dev/null)" ] && [ -z "$(cluster_processes "$conf")" ]; then
        quiet=$((quiet + 1))
        [ "$quiet" -ge 3 ] && break
      else
        quiet=0
      fi
      sleep 1
    done
  fi
  # Stop the daemons in reverse order of starting, each by the pid this script started.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 20); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  # A job process that outlived them is stopped too (slurmstepd ignores SIGTERM: SIGKILL after 5 s).
  if [ -n "$conf" ]; then
    leftovers=$(cluster_processes "$conf")
    for pid in $leftovers; do
      echo "slurm_check: stopping leftover pid $pid ($(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline"))" >&2
      kill "$pid" 2>/dev/null
    done
    if [ -n "$leftovers" ]; then
      sleep 5
      for pid in $leftovers; do kill -9 "$pid" 2>/dev/null; done
    fi
  fi
  if [ "$keep" -eq 1 ]; then
    echo "slurm_check: kept $WORK (job logs: $WORK/repo/slurm-*.out)" >&2
  else
    rm -rf "$WORK"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The repository as it is now (tracked and untracked files, not the ignored results/).
REPO=$WORK/repo
mkdir -p "$REPO"
git -C "$ROOT" ls-files -z --cached --others --exclude-standard |
  (cd "$ROOT" && xargs -0 sh -c 'for f; do [ -f "$f" ] && printf "%s\0" "$f"; done' sh) |
  (cd "$ROOT" && xargs -0 cp --parents -t "$REPO")

# 3. The README's recipe, read before anything starts -------------------------------------------
recipe=$(sed -n '/<!-- slurm:start -->/,/<!-- slurm:end -->/p' "$readme")
[ -n "$recipe" ] || die "$readme has no <!-- slurm:start --> ... <!-- slurm:end --> section"
awk -v dir="$WORK" 'BEGIN { n = 0 } /^```/ { if (inside) { inside = 0; n++ } else inside = 1; next }
  inside { print > (dir "/block" n) }' <<<"$recipe"
blocks=$(find "$WORK" -maxdepth 1 -name 'block*' | wc -l)
[ "$blocks" -eq 2 ] ||
  die "README's Slurm section must hold two code blocks (repro.sbatch, then the submit commands); found $blocks"
cp "$WORK/block0" "$REPO/repro.sbatch"
for variable in flags shards; do
  [ "$(grep -c "^$variable=" "$WORK/block1")" -eq 1 ] ||
    die "README's submit commands must set $variable= on one line of their own"
done
# shellcheck disable=SC2016 # the submit script expands $CHECK_FLAGS and $CHECK_SHARDS itself
sed -e 's|^flags=.*|flags=$CHECK_FLAGS|' -e 's|^shards=.*|shards=$CHECK_SHARDS|' \
  "$WORK/block1" >"$WORK/submit.sh"
export CHECK_FLAGS=$flags CHECK_SHARDS=$shards

# 3b. Munge and Slurm ---------------------------------------------------------------------------
mkdir -p "$WORK/munge" "$WORK/state" "$WORK/spool" "$WORK/log"
chmod 700 "$WORK/munge"
mungekey --create --keyfile="$WORK/munge/munge.key" 2>/dev/null ||
  { dd if=/dev/urandom of="$WORK/munge/munge.key" bs=1024 count=1 status=none && chmod 600 "$WORK/munge/munge.key"; }
MUNGE_SOCKET=$WORK/munge/munge.socket
# The daemons run in sessions of their own, so that a Ctrl-C (or CI's timeout) reaches this
# script, which cancels the jobs first and then stops them, and not the daemons directly.
setsid munged --foreground --force --key-file="$WORK/munge/munge.key" --socket="$MUNGE_SOCKET" \
  --pid-file="$WORK/munge/munged.pid" --log-file="$WORK/log/munged.log" \
  --seed-file="$WORK/munge/munged.seed" >>"$WORK/log/munged.log" 2>&1 &
pids+=($!)

# Free ports for this cluster, so that another Slurm on the machine does not interfere.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
ctld_port=
for _ in $(seq 1 50); do
  p=$((20000 + RANDOM % 20000))
  if port_free "$p" && port_free $((p + 1)); then
    ctld_port=$p
    break
  fi
done
[ -n "$ctld_port" ] || die "found no free pair of TCP ports for slurmctld and slurmd"

# The node as slurmd sees it (slurmd -C), named localhost.
node=$(slurmd -C | head -n 1)
cpus=$(sed -n 's/.* CPUs=\([0-9]*\).*/\1/p' <<<"$node")
memory=$(sed -n 's/.* RealMemory=\([0-9]*\).*/\1/p' <<<"$node")
[ -n "$cpus" ] && [ -n "$memory" ] || die "cannot read CPUs and RealMemory from 'slurmd -C': $node"

export SLURM_CONF=$WORK/slurm.conf
cat >"$SLURM_CONF" <<EOF
# Written by tools/slurm_check.sh: one node on localhost, no cgroups, no accounting.
ClusterName=sgdlab
SlurmctldHost=localhost
SlurmctldPort=$ctld_port
SlurmdPort=$((ctld_port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/log/slurmctld.log
SlurmdLogFile=$WORK/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
MinJobAge=3600
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=sgdlab Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF

for _ in $(seq 1 50); do
  [ -S "$MUNGE_SOCKET" ] && break
  sleep 0.2
done
[ -S "$MUNGE_SOCKET" ] || die "munged did not start: $(tail -n 3 "$WORK/log/munged.log" 2>/dev/null)"
setsid slurmctld -D -i -f "$SLURM_CONF" >>"$WORK/log/slurmctld.log" 2>&1 &
pids+=($!)
setsid slurmd -D -N localhost -f "$SLURM_CONF" >>"$WORK/log/slurmd.log" 2>&1 &
pids+=($!)

state=
for _ in $(seq 1 60); do
  state=$(sinfo -h -n localhost -o %t 2>/dev/null || true)
  [ "$state" = idle ] && break
  sleep 1
done
if [ "$state" != idle ]; then
  tail -n 5 "$WORK/log/slurmctld.log" "$WORK/log/slurmd.log" >&2 || true
  die "the node did not become idle within 60 s (sinfo says '${state:-nothing}')"
fi
say "cluster up: $(sinfo -h -o '%P %D node(s) %c CPUs %m MB %t')"

# 4. Submit as the README says ---------------------------------------------------------------
say "submitting, as README.md writes it with flags=\"$flags\" and shards=$shards:"
sed 's/^/  | /' "$WORK/block1"
(cd "$REPO" && bash -euo pipefail "$WORK/submit.sh") ||
  fail "the README's submit commands failed (sbatch's message above)"

# 5. Wait, then compare with a local run ---------------------------------------------------------
waited=0
while [ -n "$(squeue -h -p sgdlab)" ]; do
  if [ "$waited" -ge "$timeout_s" ]; then
    squeue -p sgdlab >&2
    fail "jobs still pending or running after $timeout_s s (squeue above; raise SGDLAB_SLURM_TIMEOUT)"
  fi
  sleep 2
  waited=$((waited + 2))
done
jobs_ok=1
say "jobs:"
while read -r line; do
  id=? name=? st=? code=?
  [[ $line =~ JobId=([0-9]+) ]] && id=${BASH_REMATCH[1]}
  [[ $line =~ ArrayJobId=([0-9]+)\ ArrayTaskId=([0-9]+) ]] &&
    id="${BASH_REMATCH[1]}_${BASH_REMATCH[2]}"
  [[ $line =~ JobName=([^ ]*) ]] && name=${BASH_REMATCH[1]}
  [[ $line =~ JobState=([^ ]*) ]] && st=${BASH_REMATCH[1]}
  [[ $line =~ \ ExitCode=([^ ]*) ]] && code=${BASH_REMATCH[1]}
  echo "  job $id $name $st (exit $code)"
  [ "$st" = COMPLETED ] || jobs_ok=0
done < <(scontrol -o show job) >"$WORK/jobs.txt"
sort -V "$WORK/jobs.txt"
for log in "$REPO"/slurm-*.out; do
  [ -f "$log" ] || continue
  { grep -m 1 -E '^repro: [0-9]+ units' "$log" || true; } | sed "s|^|  ${log##*/}: |"
done
if [ "$jobs_ok" -ne 1 ]; then
  for log in "$REPO"/slurm-*.out; do
    [ -f "$log" ] && { echo "--- $log" && tail -n 20 "$log"; } >&2
  done
  fail "a job did not complete (the job logs are above)"
fi

say "local run: deno task repro $flags --workers 1 --out local"
# shellcheck disable=SC2086 # flags is a list of words, as in the README
(cd "$REPO" && npx --yes deno@2.9.6 task repro $flags --workers 1 --out local >"$WORK/log/local.log" 2>&1) || {
  tail -n 20 "$WORK/log/local.log" >&2
  fail "the local run failed (its log is above)"
}

identical=0 differ=0 excluded=0 records=0
# A unit record and a report section (JSON, one line) hold the wall time their units took as
# `"seconds":N` just before `"output":` or `"body":`; that field is left out, the rest is compared
# byte for byte. A change of that layout makes the files differ here rather than pass unseen.
strip_seconds() { sed -E 's/"seconds":[-+.0-9eE]+,("output"|"body"):/\1:/' "$1"; }
while IFS= read -r -d '' rel; do
  a=$REPO/results/$rel b=$REPO/local/$rel
  case $rel in
  REPORT.md | *_timing*)
    excluded=$((excluded + 1))
    echo "  excluded $rel"
    continue
    ;;
  esac
  if [ ! -f "$a" ] || [ ! -f "$b" ]; then
    differ=$((differ + 1))
    echo "  DIFFER   $rel (only in $([ -f "$a" ] && echo the merged results || echo the local run))"
  elif [[ $rel == *.json ]]; then
    if cmp -s <(strip_seconds "$a") <(strip_seconds "$b"); then
      identical=$((identical + 1)) records=$((records + 1))
    else
      differ=$((differ + 1))
      echo "  DIFFER   $rel (beyond its \"seconds\")"
    fi
  elif cmp -s "$a" "$b"; then
    identical=$((identical + 1))
  else
    differ=$((differ + 1))
    echo "  DIFFER   $rel"
  fi
done < <({ (cd "$REPO/results" && find . -type f -printf '%P\0') &&
  (cd "$REPO/local" && find . -type f -printf '%P\0'); } | sort -zu)
echo "  ($records of the identical files are JSON records compared without their \"seconds\" field)"
echo "$identical identical, $differ differ, $excluded excluded (timing)"
[ $((identical + differ)) -gt 0 ] || fail "no file was compared: the runs wrote nothing"
[ "$differ" -eq 0 ]
