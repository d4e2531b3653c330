// Starting quantumd on demand (see autostart.h for the lock protocol).
#define _GNU_SOURCE
#include "autostart.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/** The fd the daemon finds the lock on (after stdio; systemd's LISTEN_FDS never reach it). */
#define LOCK_FD 3
/** After a start that never became ready, calls run in-process for this long before trying again. */
#define AUTOSTART_BACKOFF_S 10
/** Pause between two looks at the socket while the daemon starts. */
#define POLL_INTERVAL_US 2000

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *data_dir_of(const struct autostart_opts *o) {
  return o->data_dir != NULL ? o->data_dir : AUTOSTART_DEFAULT_DATA_DIR;
}

/**
 * Opens <data dir>/quantumd.log for appending (the data dir is made if missing, one level, 0700 as
 * systemd's StateDirectory). Returns -1 when that is impossible.
 */
static int open_log(const struct autostart_opts *o) {
  const char *dir = data_dir_of(o);
  char path[PATH_MAX];
  if ((size_t)snprintf(path, sizeof path, "%s/quantumd.log", dir) >= sizeof path) return -1;
  if (mkdir(dir, 0700) != 0 && errno != EEXIST) return -1;
  return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
}

/**
 * Why an autostart failed: one line in the daemon's log (where an operator looks for the daemon)
 * and on the call's stderr (the runtime's log). The call itself still succeeds in direct mode.
 */
__attribute__((format(printf, 2, 3))) static void log_failure(const struct autostart_opts *o, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  char line[1400];
  time_t now = time(NULL);
  struct tm tm;
  char when[32] = "";
  if (gmtime_r(&now, &tm) != NULL) strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  int n = snprintf(line, sizeof line, "%s quantum shim[%d]: autostart of quantumd on %s failed: %s; serving in direct mode\n",
                   when, (int)getpid(), o->socket, msg);
  if (n < 0) return;
  size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
  int fd = open_log(o);
  if (fd >= 0) {
    (void)!write(fd, line, len);
    close(fd);
  }
  (void)!write(STDERR_FILENO, line, len);
}

/** quantumd next to this executable's real path (bin/quantumd; quantumctl installs a wrapper). */
static int find_quantumd(char *out, size_t cap) {
  char self[PATH_MAX];
  snprintf(out, cap, "?");
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return -1;
  self[n] = '\0';
  char *slash = strrchr(self, '/');
  if (slash == NULL) return -1;
  slash[1] = '\0';
  if ((size_t)snprintf(out, cap, "%squantumd", self) >= cap) return -1;
  return access(out, X_OK);
}

/** mkdir -p of the directory holding path (the socket's), 0755 as the daemon makes it. */
static int make_parent_dirs(const char *path) {
  char dir[PATH_MAX];
  if (strlen(path) >= sizeof dir) return -1;
  strcpy(dir, path);
  char *slash = strrchr(dir, '/');
  if (slash == NULL || slash == dir) return 0;
  *slash = '\0';
  for (char *p = dir + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) return -1;
    *p = '/';
  }
  return (mkdir(dir, 0755) == 0 || errno == EEXIST) ? 0 : -1;
}

static int open_lock(const char *lock_path) {
  return open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
}

/** The daemon's environment: ours without the call's CNI_* and any systemd activation variables. */
static char **daemon_env(void) {
  size_t n = 0;
  while (environ[n] != NULL) n++;
  char **env = calloc(n + 1, sizeof *env);
  if (env == NULL) return NULL;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    const char *e = environ[i];
    if (strncmp(e, "CNI_", 4) == 0 || strncmp(e, "LISTEN_", 7) == 0 || strncmp(e, "NOTIFY_SOCKET=", 14) == 0) continue;
    env[k++] = environ[i];
  }
  env[k] = NULL;
  return env;
}

/**
 * In the grandchild: become the daemon. stdio → /dev/null and the log; the lock on fd 3 (no
 * CLOEXEC, so it survives exec and is held for the daemon's life); every other fd closed, so the
 * runtime's stdout pipe sees EOF when the call ends, not when the daemon does.
 */
__attribute__((noreturn)) static void become_daemon(const struct autostart_opts *o, const char *quantumd, int lock_fd,
                                                    int log_fd) {
  // "<pid> starting": the daemon rewrites it as "<pid> ready" once it listens (--lock-fd).
  char pid[48];
  int plen = snprintf(pid, sizeof pid, "%d starting\n", (int)getpid());
  if (ftruncate(lock_fd, 0) != 0 || pwrite(lock_fd, pid, (size_t)plen, 0) != plen) {
    // The pid file is for operators and tests; the daemon works without it.
  }
  int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  int out_fd = log_fd >= 0 ? log_fd : null_fd;
  if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
      dup2(out_fd, STDERR_FILENO) < 0) {
    _exit(126);
  }
  if (lock_fd == LOCK_FD) {
    int fl = fcntl(lock_fd, F_GETFD);
    if (fl < 0 || fcntl(lock_fd, F_SETFD, fl & ~FD_CLOEXEC) != 0) _exit(126);
  } else if (dup2(lock_fd, LOCK_FD) < 0) {
    _exit(126);
  }
  if (close_range(LOCK_FD + 1, ~0U, 0) != 0) {
    // Kernels before 5.9: a runtime's pipe left open here would keep its call waiting for us.
    long max = sysconf(_SC_OPEN_MAX);
    for (long fd = LOCK_FD + 1; fd < (max > 0 && max < 1048576 ? max : 65536); fd++) close((int)fd);
  }
  char idle[32];
  snprintf(idle, sizeof idle, "%lu", o->idle_exit_s);
  const char *argv[12];
  int a = 0;
  argv[a++] = quantumd;
  argv[a++] = "--socket";
  argv[a++] = o->socket;
  if (o->data_dir != NULL) {
    argv[a++] = "--data-dir";
    argv[a++] = o->data_dir;
  }
  argv[a++] = "--idle-exit";
  argv[a++] = idle;
  argv[a++] = "--lock-fd";
  argv[a++] = "3";
  argv[a++] = NULL;
  char **env = daemon_env();
  execve(quantumd, (char *const *)argv, env != NULL ? env : environ);
  dprintf(STDERR_FILENO, "quantum shim[%d]: autostart: exec %s: %s\n", (int)getpid(), quantumd, strerror(errno));
  _exit(127);
}

/**
 * Forks the daemon twice removed (its own session, reparented to init at once, so it outlives the
 * call and never becomes our zombie). The caller holds the flock on lock_fd. Returns 0 or -1 with
 * the reason in err.
 */
static int spawn_daemon(const struct autostart_opts *o, int lock_fd, char *err, size_t errcap) {
  char quantumd[PATH_MAX];
  if (find_quantumd(quantumd, sizeof quantumd) != 0) {
    snprintf(err, errcap, "no executable quantumd next to this plugin (%s): %s", quantumd, strerror(errno));
    return -1;
  }
  int log_fd = open_log(o);
  pid_t child = fork();
  if (child < 0) {
    snprintf(err, errcap, "fork: %s", strerror(errno));
    if (log_fd >= 0) close(log_fd);
    return -1;
  }
  if (child == 0) {
    // The runtime's signal mask and ignored signals would be inherited across exec: a daemon with
    // SIGTERM blocked could not be stopped cleanly.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int sig = 1; sig < NSIG; sig++) {
      if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
    }
    if (setsid() < 0) _exit(125);
    pid_t grandchild = fork();
    if (grandchild < 0) _exit(124);
    if (grandchild > 0) _exit(0);
    become_daemon(o, quantumd, lock_fd, log_fd);
  }
  if (log_fd >= 0) close(log_fd);
  int status = 0;
  pid_t w;
  do {
    w = waitpid(child, &status, 0);
  } while (w < 0 && errno == EINTR);
  if (w == child && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
    snprintf(err, errcap, "the daemon's launcher failed (%s %d)", WIFEXITED(status) ? "exit" : "signal",
             WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    return -1;
  }
  return 0;
}

/**
 * True when the last daemon started on this socket is less than AUTOSTART_BACKOFF_S old and never
 * said it was ready (the lock file still reads "<pid> starting"): it failed, and starting another
 * for every call would only add a failing Node start to each.
 */
static int recent_failed_start(int lock_fd) {
  struct stat st;
  char text[64];
  if (fstat(lock_fd, &st) != 0 || time(NULL) - st.st_mtime >= AUTOSTART_BACKOFF_S) return 0;
  ssize_t n = pread(lock_fd, text, sizeof text - 1, 0);
  if (n <= 0) return 0;
  text[n] = '\0';
  return strstr(text, " starting") != NULL;
}

int autostart_and_connect(const struct autostart_opts *o, autostart_connect_fn connect_fn, void *ctx) {
  char lock_path[PATH_MAX];
  if ((size_t)snprintf(lock_path, sizeof lock_path, "%s.lock", o->socket) >= sizeof lock_path) {
    log_failure(o, "socket path too long");
    return -1;
  }
  if (make_parent_dirs(o->socket) != 0) {
    log_failure(o, "cannot make the socket's directory: %s", strerror(errno));
    return -1;
  }
  int lock_fd = open_lock(lock_path);
  if (lock_fd < 0) {
    log_failure(o, "cannot open %s: %s", lock_path, strerror(errno));
    return -1;
  }
  if (flock(lock_fd, LOCK_EX | LOCK_NB) == 0) {
    // Nobody runs or starts a daemon on this socket; one may have been started by hand meanwhile.
    int fd = connect_fn(ctx);
    if (fd >= 0) {
      close(lock_fd);
      return fd;
    }
    if (recent_failed_start(lock_fd)) {
      dprintf(STDERR_FILENO,
              "quantum shim: not starting quantumd on %s: the last start, under %d s ago, never became ready "
              "(see %s/quantumd.log); serving in direct mode\n",
              o->socket, AUTOSTART_BACKOFF_S, data_dir_of(o));
      close(lock_fd);
      return -1;
    }
    char err[PATH_MAX + 128];
    int spawned = spawn_daemon(o, lock_fd, err, sizeof err) == 0;
    if (!spawned) log_failure(o, "%s", err);
    // Closing our fd keeps the lock: the daemon holds the same open file description.
    close(lock_fd);
    // The call that starts the daemon serves itself in-process right away: that beats waiting
    // for a Node start plus the daemon's own start-up (bench/autostart.mjs).
    if (!spawned || !o->starter_waits) return -1;
    lock_fd = open_lock(lock_path);
    if (lock_fd < 0) return -1;
  } else if (errno != EWOULDBLOCK) {
    log_failure(o, "flock %s: %s", lock_path, strerror(errno));
    close(lock_fd);
    return -1;
  }
  // Another call is starting a daemon (or one is draining before its idle exit): rather than one
  // more Node start competing for the CPU, wait for its socket, up to wait_ms.
  int64_t deadline = mono_ms() + (int64_t)o->wait_ms;
  while (mono_ms() < deadline) {
    int fd = connect_fn(ctx);
    if (fd >= 0) {
      close(lock_fd);
      return fd;
    }
    if (flock(lock_fd, LOCK_EX | LOCK_NB) == 0) break;  // it exited without listening: direct mode
    usleep(POLL_INTERVAL_US);
  }
  close(lock_fd);
  return -1;
}
