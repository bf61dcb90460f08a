#define _GNU_SOURCE
#include "CStyxyProcess.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

int styxy_set_child_subreaper(int on, int *was_on) {
#ifdef __linux__
    int previous = 0;
    if (prctl(PR_GET_CHILD_SUBREAPER, &previous, 0, 0, 0) != 0) return errno;
    if (prctl(PR_SET_CHILD_SUBREAPER, on ? 1 : 0, 0, 0, 0) != 0) return errno;
    if (was_on) *was_on = previous;
    return 0;
#else
    (void)on;
    (void)was_on;
    return ENOSYS;
#endif
}

int styxy_pipe_cloexec(int fds[2]) {
#ifdef __linux__
    return pipe2(fds, O_CLOEXEC) == 0 ? 0 : errno;
#else
    if (pipe(fds) != 0) return errno;
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    return 0;
#endif
}

int styxy_spawn_add_chdir(posix_spawn_file_actions_t *actions, const char *path) {
#if (defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 29))) || defined(__APPLE__)
    return posix_spawn_file_actions_addchdir_np(actions, path);
#else
    (void)actions;
    (void)path;
    return ENOSYS;
#endif
}

int styxy_spawn_add_closefrom(posix_spawn_file_actions_t *actions, int lowest) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    return posix_spawn_file_actions_addclosefrom_np(actions, lowest);
#else
    (void)actions;
    (void)lowest;
    return ENOSYS;
#endif
}

/// -1 while nobody owns the relay. Atomic because the handler reads it on whatever thread the
/// kernel picked, and claiming must be exclusive even when two threads try at once.
static atomic_int relay_fd = -1;

static void relay(int signal) {
    int saved = errno;
    int fd = atomic_load(&relay_fd);
    if (fd >= 0) {
        unsigned char byte = (unsigned char)signal;
        // A full pipe already holds a wake-up; dropping this byte loses nothing the reader needs.
        (void)!write(fd, &byte, 1);
    }
    errno = saved;
}

int styxy_signal_relay_begin(int write_fd, styxy_saved_signals *saved) {
    int expected = -1;
    if (!atomic_compare_exchange_strong(&relay_fd, &expected, write_fd)) return EBUSY;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = relay;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    struct sigaction child = action;
    // Stops and continues of a service are not exits; only exits need a look.
    child.sa_flags |= SA_NOCLDSTOP;
    struct sigaction ignore;
    memset(&ignore, 0, sizeof ignore);
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    const int numbers[4] = {SIGINT, SIGTERM, SIGCHLD, SIGPIPE};
    const struct sigaction *actions[4] = {&action, &action, &child, &ignore};
    struct sigaction *previous[4] = {&saved->interrupt, &saved->terminate, &saved->child, &saved->broken_pipe};
    for (int i = 0; i < 4; i++) {
        if (sigaction(numbers[i], actions[i], previous[i]) != 0) {
            int failure = errno;
            while (i-- > 0) sigaction(numbers[i], previous[i], NULL);
            atomic_store(&relay_fd, -1);
            return failure;
        }
    }
    // A signal blocked by the host would never reach the handler.
    sigset_t relayed;
    sigemptyset(&relayed);
    sigaddset(&relayed, SIGINT);
    sigaddset(&relayed, SIGTERM);
    sigaddset(&relayed, SIGCHLD);
    pthread_sigmask(SIG_UNBLOCK, &relayed, NULL);
    return 0;
}

void styxy_signal_relay_end(const styxy_saved_signals *saved) {
    sigaction(SIGINT, &saved->interrupt, NULL);
    sigaction(SIGTERM, &saved->terminate, NULL);
    sigaction(SIGCHLD, &saved->child, NULL);
    sigaction(SIGPIPE, &saved->broken_pipe, NULL);
    atomic_store(&relay_fd, -1);
}
