#!/usr/bin/env bash
# The scale-out test on a real Slurm: brings up a single-node cluster on this
# machine (Debian's slurmctld, slurmd and munge, installed if missing), runs
# 'qrobust plan slurm' on a 4-shard global query and a 4-shard batch, and checks
# that the merged answers equal the single-process answers; then that a
# resubmission skips finished shards, and that merge names a deleted shard.
# The daemons are stopped at the end. Where Slurm cannot be installed or
# started (no root, no package, a daemon that does not come up) it prints
# SKIPPED with the reason and exits 0; any wrong answer exits 1.
#
# Usage: bash scripts/test-slurm.sh [QROBUST]   (default: the release build)
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
qrobust=${1:-$root/.build/release/qrobust}
qrobust=$(cd "$(dirname "$qrobust")" && pwd)/$(basename "$qrobust")

skip() { echo "Slurm test SKIPPED: $*"; exit 0; }
fail() { echo "Slurm test FAILED: $*"; exit 1; }
[ -x "$qrobust" ] || fail "no qrobust program at $qrobust (run scripts/build-release.sh)"

# --- Install -----------------------------------------------------------------
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo > /dev/null && sudo -n true 2> /dev/null || skip "needs root or password-less sudo to install and start Slurm"
    sudo="sudo -n"
fi
if ! command -v slurmctld > /dev/null || ! command -v slurmd > /dev/null || ! command -v munged > /dev/null || ! command -v sbatch > /dev/null; then
    command -v apt-get > /dev/null || skip "Slurm is not installed and there is no apt-get to install it"
    echo "installing slurmctld, slurmd, slurm-client and munge (apt-get)"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        slurmctld slurmd slurm-client munge > /tmp/qrobust-slurm-install.log 2>&1 \
        || skip "apt-get could not install Slurm (see /tmp/qrobust-slurm-install.log)"
fi

# --- Start a single-node cluster ---------------------------------------------
work=$(mktemp -d /tmp/qrobust-slurm.XXXXXX)
chmod 755 "$work"
host=$(hostname -s)
export SLURM_CONF=$work/slurm.conf
started_munge=0
cleanup() {
    [ -f "$work/slurmd.pid" ] && $sudo kill "$(cat "$work/slurmd.pid")" 2> /dev/null
    [ -f "$work/slurmctld.pid" ] && $sudo kill "$(cat "$work/slurmctld.pid")" 2> /dev/null
    [ "$started_munge" = 1 ] && $sudo pkill -x munged 2> /dev/null
    sleep 1
    $sudo rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/state" "$work/spool" "$work/run"
cat > "$SLURM_CONF" << EOF
ClusterName=qrobusttest
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldPort=16817
SlurmdPort=16818
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
ReturnToService=2
MpiDefault=none
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=qrobust Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
if ! munge -n 2> /dev/null | unmunge > /dev/null 2>&1; then
    $sudo mkdir -p /run/munge && $sudo chown munge:munge /run/munge 2> /dev/null
    if [ ! -s /etc/munge/munge.key ]; then
        $sudo /usr/sbin/mungekey --create 2> /dev/null || $sudo create-munge-key 2> /dev/null
        $sudo chown munge:munge /etc/munge/munge.key 2> /dev/null
    fi
    $sudo runuser -u munge -- /usr/sbin/munged > /dev/null 2>&1 || $sudo /usr/sbin/munged --force > /dev/null 2>&1 \
        || skip "munged does not start"
    started_munge=1
    sleep 1
    munge -n 2> /dev/null | unmunge > /dev/null 2>&1 || skip "munge does not authenticate on this machine"
fi
$sudo env SLURM_CONF="$SLURM_CONF" slurmctld > /dev/null 2>&1 || skip "slurmctld does not start: $(tail -3 "$work/slurmctld.log" 2> /dev/null)"
$sudo env SLURM_CONF="$SLURM_CONF" slurmd > /dev/null 2>&1 || skip "slurmd does not start: $(tail -3 "$work/slurmd.log" 2> /dev/null)"
for _ in $(seq 60); do
    state=$(sinfo -h -o %t 2> /dev/null)
    [ "$state" = idle ] && break
    sleep 0.5
done
[ "$state" = idle ] || skip "the node did not come up (state '$state'): $(tail -3 "$work/slurmd.log" 2> /dev/null)"
echo "Slurm is up on $host ($(nproc) CPUs): $(sinfo --version)"

# Runs a plan's script and waits for its merge job.
submit_and_wait() {
    local out
    out=$(bash "$1") || fail "submitting $1 failed: $out"
    echo "  $out"
    local merge=${out##* as job }
    merge=${merge%%;*}
    for _ in $(seq 600); do
        squeue -h -j "$merge" 2> /dev/null | grep -q . || return 0
        sleep 0.5
    done
    fail "the merge job $merge did not end within 5 minutes"
}

# --- The questions ----------------------------------------------------------
questions=$work/questions
mkdir -p "$questions"
cp Examples/moons-relu.json "$questions/"
cd "$questions"
# 40 input points on a grid of the moons' square, written exactly.
{
    echo "x,y"
    for i in $(seq 0 7); do for j in $(seq 0 4); do echo "$(( i * 3 - 10 ))/8,$(( j * 5 - 8 ))/8"; done; done
} > points.csv

# A batch of 40 local queries in 4 shards: the merged table is the single process's.
batch=(local moons-relu.json --inputs points.csv --bits 6 --tau 0.05)
"$qrobust" "${batch[@]}" > batch-single.txt
single_code=$?
"$qrobust" plan slurm --shards 4 --results-dir batch -- "${batch[@]}" > batch.sh || fail "plan slurm (batch) failed"
submit_and_wait batch.sh
[ -f batch/merged.txt ] || fail "the batch's merge wrote nothing (logs: $(cat batch/logs/* 2> /dev/null | head -5))"
diff batch-single.txt batch/merged.txt > /dev/null || fail "the merged batch differs from one process: $(diff batch-single.txt batch/merged.txt | head -5)"
"$qrobust" merge batch > /dev/null
[ $? -eq $single_code ] || fail "merge's exit code differs from the single process's ($single_code)"
echo "ok: 4-shard batch merged = single process ($(tail -1 batch-single.txt | cut -c1-60)…)"

# A global query measured to 1e-4 in 4 shards: the same certified interval within the tolerance.
global=(global moons-relu.json --box -1:2,-1:1.5 --bits 6 --compression-model concrete)
"$qrobust" "${global[@]}" > global-single.txt || fail "the single-process global query failed"
"$qrobust" plan slurm --shards 4 --results-dir global -- "${global[@]}" > global.sh || fail "plan slurm (global) failed"
submit_and_wait global.sh
interval() { sed -n 's/^maximal confidence deviation: \[\(.*\), \(.*\)\]$/\1 \2/p' "$1"; }
read -r lo1 hi1 <<< "$(interval global-single.txt)"
read -r lo4 hi4 <<< "$(interval global/merged.txt)"
[ -n "${lo4:-}" ] || fail "the merged global answer has no interval: $(cat global/merged.txt)"
awk -v a="$lo1" -v b="$hi1" -v c="$lo4" -v d="$hi4" 'BEGIN {
    tol = 1e-4
    # Both are certified: each lower end is at most the other upper end; both are at most tol wide.
    exit !(a <= d && c <= b && b - a <= tol && d - c <= tol) }' \
    || fail "merged interval [$lo4, $hi4] does not agree with one process's [$lo1, $hi1] within 1e-4"
echo "ok: 4-shard global merged [$lo4, $hi4] agrees with one process's [$lo1, $hi1]"

# The same with τ: the same verdict.
decided=(global moons-relu.json --box -1:2,-1:1.5 --bits 6 --compression-model concrete --tau 0.2)
"$qrobust" "${decided[@]}" > decided-single.txt
decided_code=$?
"$qrobust" plan slurm --shards 4 --results-dir decided -- "${decided[@]}" > decided.sh || fail "plan slurm (τ) failed"
submit_and_wait decided.sh
[ "$(grep '^verdict' decided-single.txt)" = "$(grep '^verdict' decided/merged.txt)" ] \
    || fail "verdicts differ: '$(grep '^verdict' decided-single.txt)' and '$(grep '^verdict' decided/merged.txt)'"
echo "ok: 4-shard global with τ: $(grep '^verdict' decided/merged.txt) (exit $decided_code both)"

# Resubmitting skips every finished shard and leaves the results as they were.
before=$(cat decided/shard-*.jsonl | cksum)
submit_and_wait decided.sh
grep -q "already answered" decided/logs/shard-0.log || fail "a resubmitted shard did its work again"
[ "$before" = "$(cat decided/shard-*.jsonl | cksum)" ] || fail "a resubmission changed finished results"
echo "ok: resubmission skipped the 4 finished shards"

# A deleted shard is named by merge, and the answer is no longer robust.
rm decided/shard-2-of-4.jsonl
message=$("$qrobust" merge decided 2>&1)
code=$?
echo "$message" | grep -q "shard 2/4 is missing" || fail "merge did not name the missing shard: $message"
[ $code -eq 2 ] || fail "merge with a missing shard exited $code, not 2 (unknown)"
echo "ok: with shard 2 deleted, merge says 'shard 2/4 is missing' and exits 2"
echo "Slurm test PASSED"
