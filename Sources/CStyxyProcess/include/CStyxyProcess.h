#ifndef STYXY_PROCESS_SHIM_H
#define STYXY_PROCESS_SHIM_H

#include <signal.h>
#include <spawn.h>

/// The few POSIX and Linux calls StyxyProcess needs that Swift cannot import: prctl is variadic,
/// pipe2 and the _np spawn actions hide behind _GNU_SOURCE, and a signal handler must not run
/// Swift code (it could take a runtime lock the interrupted code holds).
/// Every function returns 0 on success and an errno value on failure; none sets errno.

/// Turns this process's child-subreaper bit on or off; `was_on` (may be NULL) receives the bit's
/// previous value. ENOSYS where the kernel has no such bit (not Linux).
int styxy_set_child_subreaper(int on, int *was_on);

/// A pipe whose two ends are close-on-exec from birth, so no child started by another thread in
/// the meantime inherits them.
int styxy_pipe_cloexec(int fds[2]);

/// The child's working directory. ENOSYS where the C library lacks posix_spawn_file_actions_addchdir_np.
int styxy_spawn_add_chdir(posix_spawn_file_actions_t *actions, const char *path);

/// Closes every descriptor from `lowest` up in the child. ENOSYS where the C library lacks
/// posix_spawn_file_actions_addclosefrom_np (glibc before 2.34); close-on-exec still protects
/// Styxy's own descriptors then.
int styxy_spawn_add_closefrom(posix_spawn_file_actions_t *actions, int lowest);

/// What the relay replaced, put back by styxy_signal_relay_end.
typedef struct {
    struct sigaction interrupt;
    struct sigaction terminate;
    struct sigaction child;
    struct sigaction broken_pipe;
} styxy_saved_signals;

/// Claims the process-wide signal relay: SIGINT, SIGTERM and SIGCHLD each write their number as one
/// byte to `write_fd` (a non-blocking pipe) and do nothing else; SIGPIPE is ignored, so a closed
/// output is an EPIPE error instead of death. EBUSY when another owner holds the relay.
int styxy_signal_relay_begin(int write_fd, styxy_saved_signals *saved);

/// Restores the saved dispositions and frees the relay for the next owner.
void styxy_signal_relay_end(const styxy_saved_signals *saved);

#endif
