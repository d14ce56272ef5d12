/*
 * lock.h - one run at a time in a results folder (issue 17): an exclusive lock that `balnet run`,
 * `run --resume` and `balnet plot DIR` take before they write anything there and hold to the end.
 * Prefix `lock_`.
 *
 * Owns: the lock file DIR/.balnet-lock, its heartbeat thread, and the rule that says when its holder is
 * gone.  Must not: print, exit, wait for a holder (a locked folder is refused at once; only another
 * process's take-over, a few system calls, is waited for), or know what the folder holds.
 *
 * Why a lock file and not flock(2): results folders live on cluster home directories, which are usually
 * NFS.  There flock() is either emulated with byte-range locks served by the server's lock manager
 * (lockd/NLM for NFSv3, leases for NFSv4; a crashed client's locks are only freed after the server's
 * grace period) or, on the `nolock` mounts many clusters use, applies to the local node only, so two
 * nodes both "get" the lock.  What works on every POSIX file system, NFS included, is creating a file
 * under an exclusive name: the lock file is written completely under a unique name and then link(2)ed to
 * DIR/.balnet-lock, which fails with EEXIST when it exists (open(2), "O_EXCL": link() is atomic on NFS
 * where O_EXCL was not before NFSv3; a lost reply is caught by checking that the unique file's link count
 * became 2, as that page prescribes).  A lock file does not disappear with its process, so the file says
 * who holds it, one line each:
 *     host: <hostname>      pid: <pid>        started: <UTC time>
 *     boot_id / pid_ns / proc_start: which machine boot, PID namespace and process incarnation that is
 *     heartbeat_s: <period>  token: <64 random bits, this lock's identity>
 * and a lock whose holder is gone is taken over (lock_take reports it in `note`).  The holder is gone when:
 *   - it ran on this machine (same hostname, boot id and PID namespace): its pid is not running, or runs a
 *     later process (another start time in /proc/<pid>/stat).  Exact and immediate, so a run killed with
 *     kill -9 frees its folder for the next run at once;
 *   - it ran on another machine (another node of the cluster; this one after a reboot): its heartbeat
 *     stopped.  The holder's thread touches the lock file's mtime every heartbeat_s (10 s; the
 *     BALNET_LOCK_HEARTBEAT environment variable, in seconds, changes it for tests) and the lock is stale
 *     once the mtime is LOCK_MISSED_BEATS periods old.  Both times come from the file server's clock (the
 *     age is the mtime of a file this process has just written minus the lock's mtime, both read after
 *     open(), which revalidates NFS's attribute cache), so the rule does not depend on the nodes' clocks
 *     agreeing.  A crashed node's folder is free again one minute after its last heartbeat.
 * Two runs that find the same stale lock take it over one at a time: the take-over itself is guarded by a
 * second lock file, DIR/.balnet-lock.takeover, held for a few system calls, and a stale lock is removed
 * only if it is still the one judged stale.  The holder checks before each write (lock_check) that the lock
 * is still its own, so a holder that was stopped for longer than the staleness limit and was taken over
 * stops instead of writing next to the new holder.  A take-over lock left by a taker that died within
 * those few calls is judged by the same rule and removed.
 * Tested on local file systems (tests/models/run_lock.sh; tests/unit/test_results_lock.c writes the lock
 * files of other machines by hand), not on a real NFS mount.
 */
#ifndef BN_RESULTS_LOCK_H
#define BN_RESULTS_LOCK_H

#include <stdbool.h>
#include <stddef.h>

#define LOCK_FILE ".balnet-lock"
#define LOCK_HEARTBEAT_S 10.0   /* default period of the holder's heartbeat */
#define LOCK_MISSED_BEATS 6     /* a lock of another machine is stale after this many missed beats */

struct lock;   /* a lock this process holds */

/* Takes the lock of the existing folder DIR.  Refused (NULL, err names the folder and the holder: host,
 * pid, start time) when another live process holds it; a lock whose holder is gone is taken over and
 * `note` says whose it was and why it was taken (note[0] is 0 otherwise).  Nothing in DIR changes when the
 * lock is refused.  The holder's heartbeat thread runs until lock_release. */
struct lock *lock_take(const char *dir, char *note, size_t notelen, char *err, size_t errlen);
/* True while DIR/.balnet-lock is still l's; false, with the new holder (or the missing file) in err, when
 * it was taken over or removed: the caller must then stop writing. */
bool lock_check(const struct lock *l, char *err, size_t errlen);
/* Stops the heartbeat and removes the lock file if it is still l's.  NULL is a no-op. */
void lock_release(struct lock *l);

#endif
