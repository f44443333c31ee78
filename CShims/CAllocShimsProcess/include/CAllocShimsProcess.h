// Process control for `allocshim run`: what Swift cannot express safely (code between fork and
// exec, variadic prctl, SA_SIGINFO handlers). Plain C types in and out; knows no Swift.
#ifndef CALLOCSHIMS_PROCESS_H
#define CALLOCSHIMS_PROCESS_H

#include <sys/types.h>

/// Starts `path` with `argv` and `envp` (both NULL-terminated) as a child that receives SIGKILL
/// when the calling thread exits (PR_SET_PDEATHSIG), with default signal dispositions and an
/// empty signal mask. Returns the child's pid once it runs `path` (its exec succeeded), or -1
/// with `*error_number` set to the errno of the failed fork or exec. Call it from a thread that
/// lives as long as the child should (the main thread): the death signal follows that thread.
/// The corresponding C functions are `fork`, `prctl(PR_SET_PDEATHSIG)` and `execve`.
pid_t CAllocShimsProcess_spawn(const char *path, char *const argv[], char *const envp[], int *error_number);

/// Makes this process the reaper of its orphaned descendants (PR_SET_CHILD_SUBREAPER), so a
/// command's grandchildren stay visible in /proc/<self>/task/*/children and can be stopped.
/// Returns 0, or the errno.
int CAllocShimsProcess_becomeSubreaper(void);

/// From now on SIGHUP, SIGINT, SIGTERM and SIGQUIT do not end this process: they are kept for
/// the child named by ``CAllocShimsProcess_setForwardTarget`` (installed before the spawn, so
/// a signal arriving in between is not lost), and unblocks them on the calling thread (a parent
/// may have started this process with them blocked). Returns 0, or the errno of the failure.
int CAllocShimsProcess_interceptTerminatingSignals(void);

/// Sends every intercepted signal to `child` from now on, and the last one that arrived before
/// (if any) at once. Signals the terminal sends to the whole foreground process group
/// (si_code SI_KERNEL: ^C, ^\, hangup) already reach the child and are not sent twice.
void CAllocShimsProcess_setForwardTarget(pid_t child);

/// 1 when this process received `signal_number` (one of the intercepted signals) since
/// ``CAllocShimsProcess_interceptTerminatingSignals``, from anyone (a kill or the terminal), else 0.
int CAllocShimsProcess_receivedSignal(int signal_number);

/// Whether child `pid` has ended, without reaping it (its /proc entry stays readable):
/// 1 ended, 0 still running, -1 with errno set. The corresponding C function is
/// `waitid(P_PID, pid, …, WEXITED | WNOHANG | WNOWAIT)`.
int CAllocShimsProcess_hasEnded(pid_t pid);

#endif
