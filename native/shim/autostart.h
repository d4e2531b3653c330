// Starting quantumd on demand from the shim (docs/operations.md, "Autostart").
//
// The lock file <socket>.lock decides who starts the daemon: the shim that wins a non-blocking
// flock on it spawns quantumd, and the daemon inherits that open file description (as fd 3), so
// the lock stays held exactly as long as the daemon lives. Every other racing shim sees the lock
// taken and does not start a second one. The lock file also holds the daemon's pid (a pid file).
#pragma once
#include <stddef.h>
#include <stdint.h>

struct autostart_opts {
  /** The socket the daemon listens on (also where the lock file goes: <socket>.lock). */
  const char *socket;
  /** The config's dataDir, or NULL: the daemon's default. The log goes there too. */
  const char *data_dir;
  /** --idle-exit for the daemon, in seconds (0 = never). */
  unsigned long idle_exit_s;
  /**
   * How long a call that finds another call starting the daemon waits for its socket before
   * running in-process (0 = not at all). The call that starts it never waits.
   */
  unsigned long wait_ms;
  /** The starting call waits too instead of running in-process (only to measure the difference). */
  int starter_waits;
};

/** Default data dir of quantumd, where the log goes when the config names none. */
#define AUTOSTART_DEFAULT_DATA_DIR "/var/lib/quantum"
/** Default idle exit of an autostarted daemon: 10 minutes. */
#define AUTOSTART_DEFAULT_IDLE_EXIT_S 600UL

/**
 * Connects to the daemon: returns a connected socket fd, or -1 with errno set. The shim passes its
 * own connect (timeouts and all).
 */
typedef int (*autostart_connect_fn)(void *ctx);

/**
 * Makes sure a daemon is (being) started on o->socket. The call that starts it returns -1 at once
 * (serve this call in-process); a call that finds one starting waits up to o->wait_ms for it and
 * returns a connected fd, or -1 when it is not up in time or exited. A failed start is logged to
 * <data dir>/quantumd.log and to stderr; a start that never became ready is not retried for 10 s.
 */
int autostart_and_connect(const struct autostart_opts *o, autostart_connect_fn connect_fn, void *ctx);
