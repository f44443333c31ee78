#define _GNU_SOURCE
#include "CAllocShimsProcess.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static const int forwarded_signals[] = {SIGHUP, SIGINT, SIGTERM, SIGQUIT};

pid_t CAllocShimsProcess_spawn(const char *path, char *const argv[], char *const envp[], int *error_number) {
    // The exec status travels through a close-on-exec pipe: EOF means the exec succeeded (the
    // kernel closed the write end), 4 bytes mean it failed with that errno.
    int status_pipe[2];
    if (pipe2(status_pipe, O_CLOEXEC) != 0) {
        *error_number = errno;
        return -1;
    }
    pid_t parent = getpid();
    pid_t child = fork();
    if (child < 0) {
        *error_number = errno;
        close(status_pipe[0]);
        close(status_pipe[1]);
        return -1;
    }
    if (child == 0) {
        // Only async-signal-safe calls from here to execve: the parent may have other threads.
        close(status_pipe[0]);
        sigset_t none;
        sigemptyset(&none);
        struct sigaction default_action;
        memset(&default_action, 0, sizeof default_action);
        default_action.sa_handler = SIG_DFL;
        for (size_t index = 0; index < sizeof forwarded_signals / sizeof forwarded_signals[0]; index++) {
            sigaction(forwarded_signals[index], &default_action, NULL);
        }
        // Runtimes ignore SIGPIPE; an ignored signal stays ignored across exec.
        sigaction(SIGPIPE, &default_action, NULL);
        sigprocmask(SIG_SETMASK, &none, NULL);
        int failure = 0;
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) {
            failure = errno;
        } else if (getppid() != parent) {
            // The parent died between fork and prctl: the death signal will never come.
            _exit(127);
        } else {
            execve(path, argv, envp);
            failure = errno;
        }
        ssize_t ignored = write(status_pipe[1], &failure, sizeof failure);
        (void)ignored;
        _exit(127);
    }
    close(status_pipe[1]);
    int failure = 0;
    ssize_t got;
    do {
        got = read(status_pipe[0], &failure, sizeof failure);
    } while (got < 0 && errno == EINTR);
    close(status_pipe[0]);
    if (got == (ssize_t)sizeof failure) {
        // The child exits at once (127); reap it so no zombie is left behind.
        int ignored;
        while (waitpid(child, &ignored, 0) < 0 && errno == EINTR) {}
        *error_number = failure;
        return -1;
    }
    return child;
}

int CAllocShimsProcess_becomeSubreaper(void) {
    return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0 ? 0 : errno;
}

static _Atomic pid_t forward_target = 0;
static _Atomic int pending_signal = 0;
// Every terminating signal this process received since interception began, as a bit set
// (bit N: signal N), so the watch can tell a command the user stopped from one that ended alone.
static _Atomic unsigned long received_signals = 0;

static void forward(int signal_number, siginfo_t *info, void *context) {
    (void)context;
    int saved_errno = errno;
    pid_t target = atomic_load(&forward_target);
    bool from_terminal = info != NULL && info->si_code == SI_KERNEL;
    if (signal_number > 0 && signal_number < (int)(8 * sizeof(unsigned long))) {
        atomic_fetch_or(&received_signals, 1UL << signal_number);
    }
    if (target > 0) {
        if (!from_terminal) kill(target, signal_number);
    } else {
        // No child yet: keep it for CAllocShimsProcess_setForwardTarget (which may not know
        // whether the child was already in the group the terminal signalled: it sends it).
        atomic_store(&pending_signal, signal_number);
    }
    errno = saved_errno;
}

int CAllocShimsProcess_interceptTerminatingSignals(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = forward;
    action.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&action.sa_mask);
    sigset_t terminating;
    sigemptyset(&terminating);
    for (size_t index = 0; index < sizeof forwarded_signals / sizeof forwarded_signals[0]; index++) {
        if (sigaction(forwarded_signals[index], &action, NULL) != 0) return errno;
        sigaddset(&terminating, forwarded_signals[index]);
    }
    // A parent may have started this process with them blocked (the mask is inherited): they
    // would then stay pending and never reach the child. Unblocked on the calling (main) thread,
    // which outlives the child, so a process-directed signal always has a thread to run on.
    return pthread_sigmask(SIG_UNBLOCK, &terminating, NULL);
}

void CAllocShimsProcess_setForwardTarget(pid_t child) {
    atomic_store(&forward_target, child);
    int pending = atomic_exchange(&pending_signal, 0);
    if (pending != 0 && child > 0) kill(child, pending);
}

int CAllocShimsProcess_receivedSignal(int signal_number) {
    if (signal_number <= 0 || signal_number >= (int)(8 * sizeof(unsigned long))) return 0;
    return (atomic_load(&received_signals) >> signal_number) & 1UL ? 1 : 0;
}

int CAllocShimsProcess_hasEnded(pid_t pid) {
    siginfo_t info;
    memset(&info, 0, sizeof info);
    if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0) return -1;
    return info.si_pid == pid ? 1 : 0;
}
