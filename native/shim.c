// bin/quantum: the CNI plugin executable, a ~1 ms client of quantumd.
//
// VERSION is answered here, from a constant generated from src/cni/version.ts (build/cni-version.h).
// Everything else: reads the CNI_* environment and the config on stdin, POSTs them to the daemon's
// unix socket (the config's top-level "socketPath", else $QUANTUM_SOCKET, else
// /run/quantum/quantum.sock) and relays the answer: stdout bytes, stderr bytes, exit code
// (src/server/protocol.ts has the format).
//
// - Socket absent or refusing (ENOENT, ECONNREFUSED): start quantumd on that socket (autostart,
//   native/shim/autostart.c; off with QUANTUM_AUTOSTART=0 or "autostart": false), then serve the
//   call in direct mode, or through the daemon when another call is already starting it.
// - Direct mode (also for ENOTDIR, or when the daemon closed the connection without answering):
//   exec quantum-direct next to this binary's real path, with the same environment and the same
//   stdin bytes (through a memfd).
// - Connected but no answer within $QUANTUM_SHIM_TIMEOUT_MS (default 30000): a CNI error with code
//   11 (try again later) on stdout, exit 1. Any other failure: the same, with the reason.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "autostart.h"
#include "cni-version.h"

#define DEFAULT_SOCKET "/run/quantum/quantum.sock"
#define DEFAULT_TIMEOUT_MS 30000
#define MAX_STDIN (32u * 1024u * 1024u)
#define MAX_RESPONSE (64u * 1024u * 1024u)
#define SCHEMA_VERSION 1

extern char **environ;

// ---- growable byte buffer -------------------------------------------------------------------

struct buf {
  char *data;
  size_t len;
  size_t cap;
};

static int buf_reserve(struct buf *b, size_t extra) {
  if (extra > SIZE_MAX - b->len - 1) return -1;
  size_t need = b->len + extra + 1;
  if (need <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 4096;
  while (cap < need) {
    if (cap > SIZE_MAX / 2) return -1;
    cap *= 2;
  }
  char *p = realloc(b->data, cap);
  if (p == NULL) return -1;
  b->data = p;
  b->cap = cap;
  return 0;
}

static int buf_add(struct buf *b, const char *s, size_t n) {
  if (buf_reserve(b, n) != 0) return -1;
  memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
  return 0;
}

static int buf_str(struct buf *b, const char *s) { return buf_add(b, s, strlen(s)); }

// Appends s as the contents of a JSON string (no quotes): ", \ and control bytes escaped; bytes
// >= 0x80 are copied as they are (UTF-8 passes through).
static int buf_json_escaped(struct buf *b, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    char esc[7];
    const char *out = NULL;
    size_t outlen = 0;
    switch (c) {
      case '"': out = "\\\""; outlen = 2; break;
      case '\\': out = "\\\\"; outlen = 2; break;
      case '\n': out = "\\n"; outlen = 2; break;
      case '\r': out = "\\r"; outlen = 2; break;
      case '\t': out = "\\t"; outlen = 2; break;
      default:
        if (c < 0x20) {
          esc[0] = '\\'; esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
          esc[4] = hex[c >> 4]; esc[5] = hex[c & 15]; esc[6] = '\0';
          out = esc;
          outlen = 6;
        }
    }
    if (out != NULL) {
      if (buf_add(b, out, outlen) != 0) return -1;
    } else {
      // Copy the run of plain bytes in one go.
      size_t j = i;
      while (j < n) {
        unsigned char d = (unsigned char)s[j];
        if (d < 0x20 || d == '"' || d == '\\') break;
        j++;
      }
      if (buf_add(b, s + i, j - i) != 0) return -1;
      i = j - 1;
    }
  }
  return 0;
}

// ---- I/O helpers ----------------------------------------------------------------------------

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static int read_all_fd(int fd, struct buf *b, size_t max) {
  for (;;) {
    if (buf_reserve(b, 65536) != 0) return -1;
    ssize_t r = read(fd, b->data + b->len, 65536);
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (r == 0) return 0;
    b->len += (size_t)r;
    b->data[b->len] = '\0';
    if (b->len > max) {
      errno = EFBIG;
      return -1;
    }
  }
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// ---- a tiny JSON scan: the value of a top-level key ----------------------------------------

// Finds "key": <value> at depth 1 of the JSON object in s (strings and nesting are skipped
// properly, so a "socketPath" inside prevResult's interfaces is not taken). Returns 1 and the raw
// value's extent: a string with its quotes, else up to the next ',', '}' or whitespace (numbers,
// true, false, null; an object or array value is returned as its first byte only).
static int top_level_value(const char *s, size_t n, const char *key, const char **vstart, size_t *vlen) {
  int depth = 0;
  size_t klen = strlen(key);
  int expect_key = 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '{' || c == '[') {
      depth++;
      expect_key = (c == '{' && depth == 1);
    } else if (c == '}' || c == ']') {
      depth--;
    } else if (c == ',') {
      if (depth == 1) expect_key = 1;
    } else if (c == '"') {
      size_t start = ++i;
      while (i < n && s[i] != '"') i += (s[i] == '\\') ? 2 : 1;
      if (i >= n) return 0;
      size_t len = i - start;
      if (depth != 1 || !expect_key) continue;
      expect_key = 0;
      if (len != klen || memcmp(s + start, key, klen) != 0) continue;
      size_t j = i + 1;
      while (j < n && (s[j] == ' ' || s[j] == '\t' || s[j] == '\n' || s[j] == '\r')) j++;
      if (j >= n || s[j] != ':') return 0;
      j++;
      while (j < n && (s[j] == ' ' || s[j] == '\t' || s[j] == '\n' || s[j] == '\r')) j++;
      if (j >= n) return 0;
      size_t e = j + 1;
      if (s[j] == '"') {
        while (e < n && s[e] != '"') e += (s[e] == '\\') ? 2 : 1;
        if (e >= n) return 0;
        e++;
      } else if (s[j] != '{' && s[j] != '[') {
        while (e < n && s[e] != ',' && s[e] != '}' && s[e] != ' ' && s[e] != '\t' && s[e] != '\n' && s[e] != '\r') e++;
      }
      *vstart = s + j;
      *vlen = e - j;
      return 1;
    }
  }
  return 0;
}

// The value of a top-level string key. Simple escapes are decoded; \u escapes make the value
// unusable (returns 0), as does a value that is not a string or is empty. Returns 1 and fills out.
static int top_level_string(const char *s, size_t n, const char *key, char *out, size_t outcap) {
  const char *v;
  size_t vl;
  if (!top_level_value(s, n, key, &v, &vl) || vl < 2 || v[0] != '"') return 0;
  size_t o = 0;
  for (size_t j = 1; j + 1 < vl; j++) {
    char c = v[j];
    if (c == '\\') {
      switch (v[++j]) {
        case '"': c = '"'; break;
        case '\\': c = '\\'; break;
        case '/': c = '/'; break;
        default: return 0;
      }
    }
    if (o + 1 >= outcap) return 0;
    out[o++] = c;
  }
  out[o] = '\0';
  return o > 0;
}

// ---- answers the shim writes itself ---------------------------------------------------------

static char g_version[32] = QUANTUM_CURRENT_VERSION;

static void set_error_version(const struct buf *in) {
  char v[32];
  if (in->len > 0 && top_level_string(in->data, in->len, "cniVersion", v, sizeof v)) {
    for (const char *p = v; *p; p++) {
      if (!((*p >= '0' && *p <= '9') || *p == '.')) return;
    }
    memcpy(g_version, v, sizeof g_version);
  }
}

// Prints a CNI error (code, msg, details) on stdout and exits 1.
__attribute__((noreturn, format(printf, 3, 4))) static void fail(int code, const char *msg, const char *fmt, ...) {
  char details[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(details, sizeof details, fmt, ap);
  va_end(ap);
  struct buf b = {0};
  char head[96];
  snprintf(head, sizeof head, "{\"cniVersion\":\"%s\",\"code\":%d,\"msg\":\"", g_version, code);
  if (buf_str(&b, head) == 0 && buf_json_escaped(&b, msg, strlen(msg)) == 0 && buf_str(&b, "\",\"details\":\"") == 0 &&
      buf_json_escaped(&b, details, strlen(details)) == 0 && buf_str(&b, "\"}\n") == 0) {
    (void)write_all(STDOUT_FILENO, b.data, b.len);
  } else {
    static const char oom[] = "{\"code\":11,\"msg\":\"quantum shim: out of memory\"}\n";
    (void)write_all(STDOUT_FILENO, oom, sizeof oom - 1);
  }
  exit(1);
}

// ---- direct mode ----------------------------------------------------------------------------

// Replaces this process with quantum-direct (next to our real path), stdin = the bytes read.
__attribute__((noreturn)) static void exec_direct(const struct buf *in, int stdin_read) {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) fail(11, "quantum shim: cannot find the direct-mode plugin", "readlink /proc/self/exe: %s", strerror(errno));
  self[n] = '\0';
  char *slash = strrchr(self, '/');
  if (slash == NULL) fail(11, "quantum shim: cannot find the direct-mode plugin", "odd path %s", self);
  slash[1] = '\0';
  char direct[PATH_MAX];
  if ((size_t)snprintf(direct, sizeof direct, "%squantum-direct", self) >= sizeof direct) {
    fail(11, "quantum shim: cannot find the direct-mode plugin", "path too long");
  }
  if (stdin_read) {
    int fd = memfd_create("quantum-stdin", MFD_CLOEXEC);
    if (fd < 0) fail(11, "quantum shim: cannot hand stdin to direct mode", "memfd_create: %s", strerror(errno));
    if (write_all(fd, in->data ? in->data : "", in->len) != 0 || lseek(fd, 0, SEEK_SET) != 0) {
      fail(11, "quantum shim: cannot hand stdin to direct mode", "memfd write: %s", strerror(errno));
    }
    if (dup2(fd, STDIN_FILENO) < 0) fail(11, "quantum shim: cannot hand stdin to direct mode", "dup2: %s", strerror(errno));
    close(fd);
  }
  char *argv[] = {direct, NULL};
  execv(direct, argv);
  fail(11, "quantum shim: quantumd is not running and direct mode cannot start", "exec %s: %s", direct, strerror(errno));
}

// ---- the request ----------------------------------------------------------------------------

static int build_request(struct buf *req, const struct buf *in) {
  struct buf body = {0};
  char num[64];
  snprintf(num, sizeof num, "{\"v\":%d,\"env\":{", SCHEMA_VERSION);
  if (buf_str(&body, num) != 0) return -1;
  int first = 1;
  for (char **e = environ; *e != NULL; e++) {
    if (strncmp(*e, "CNI_", 4) != 0) continue;
    const char *eq = strchr(*e, '=');
    if (eq == NULL) continue;
    if ((!first && buf_str(&body, ",") != 0) || buf_str(&body, "\"") != 0 ||
        buf_json_escaped(&body, *e, (size_t)(eq - *e)) != 0 || buf_str(&body, "\":\"") != 0 ||
        buf_json_escaped(&body, eq + 1, strlen(eq + 1)) != 0 || buf_str(&body, "\"") != 0) {
      return -1;
    }
    first = 0;
  }
  if (buf_str(&body, "},\"stdin\":\"") != 0 || buf_json_escaped(&body, in->data ? in->data : "", in->len) != 0 ||
      buf_str(&body, "\"}") != 0) {
    return -1;
  }
  char head[256];
  snprintf(head, sizeof head,
           "POST /v1/cni HTTP/1.1\r\nHost: quantumd\r\nContent-Type: application/json\r\n"
           "Content-Length: %zu\r\nConnection: close\r\n\r\n",
           body.len);
  int rc = (buf_str(req, head) == 0 && buf_add(req, body.data, body.len) == 0) ? 0 : -1;
  free(body.data);
  return rc;
}

// Waits for events on fd until the deadline. Returns 1 when ready, 0 on timeout, -1 on error.
static int wait_fd(int fd, short events, int64_t deadline) {
  for (;;) {
    int64_t left = deadline - now_ms();
    if (left <= 0) return 0;
    struct pollfd p = {.fd = fd, .events = events};
    int r = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) return 0;
    return 1;
  }
}

// Finds a header's value (case-insensitive name) in the head [h, h+n); returns its length or -1.
static long header_value(const char *h, size_t n, const char *name, const char **value) {
  size_t nl = strlen(name);
  const char *end = h + n;
  const char *line = memchr(h, '\n', n);  // skip the status line
  while (line != NULL && line + 1 < end) {
    line++;
    const char *eol = memchr(line, '\n', (size_t)(end - line));
    if (eol == NULL) eol = end;
    if ((size_t)(eol - line) > nl && strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
      const char *v = line + nl + 1;
      while (v < eol && (*v == ' ' || *v == '\t')) v++;
      const char *ve = eol;
      while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t')) ve--;
      *value = v;
      return (long)(ve - v);
    }
    line = eol;
  }
  return -1;
}

static int parse_uint(const char *s, long len, unsigned long *out) {
  if (len <= 0 || len > 18) return -1;
  unsigned long v = 0;
  for (long i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (unsigned long)(s[i] - '0');
  }
  *out = v;
  return 0;
}

// ---- connecting --------------------------------------------------------------------------

struct conn_ctx {
  const char *path;
  int64_t timeout;
};

// Connects to the daemon's socket: a connected fd, or -1 with connect's errno.
static int connect_daemon(void *vctx) {
  const struct conn_ctx *c = vctx;
  int64_t deadline = now_ms() + c->timeout;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail(11, "quantum shim: cannot create a socket", "%s", strerror(errno));
  // A unix connect blocks while the daemon's backlog is full; SO_SNDTIMEO bounds that wait.
  struct timeval stv = {.tv_sec = c->timeout / 1000, .tv_usec = (c->timeout % 1000) * 1000};
  if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &stv, sizeof stv) != 0) {
    fail(11, "quantum shim: cannot set a socket timeout", "%s", strerror(errno));
  }
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  memcpy(addr.sun_path, c->path, strlen(c->path) + 1);
  int rc;
  do {
    rc = connect(fd, (struct sockaddr *)&addr, sizeof addr);
  } while (rc != 0 && errno == EINTR && now_ms() < deadline);
  if (rc != 0) {
    int err = errno;
    close(fd);
    errno = err;
    return -1;
  }
  return fd;
}

// ---- autostart settings (config keys win over the environment) ----------------------------

// A call that finds another starting the daemon waits this long for it (a start takes ~0.3 s).
#define DEFAULT_AUTOSTART_WAIT_MS 2000UL

// A boolean environment variable: 1/true/yes/on or 0/false/no/off; unset or empty = dflt.
static int env_bool(const char *name, int dflt) {
  const char *v = getenv(name);
  if (v == NULL || v[0] == '\0') return dflt;
  if (!strcasecmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on")) return 1;
  if (!strcasecmp(v, "0") || !strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcasecmp(v, "off")) return 0;
  fail(4, "quantum shim: invalid environment variable", "%s=\"%s\": use 1 or 0", name, v);
}

// A non-negative integer from the config key (JSON number) or else the environment variable.
static unsigned long config_uint(const struct buf *in, const char *key, const char *env, unsigned long dflt) {
  const char *v;
  size_t vl;
  unsigned long n;
  if (in->len > 0 && top_level_value(in->data, in->len, key, &v, &vl)) {
    if (parse_uint(v, (long)vl, &n) != 0) {
      fail(7, "quantum shim: invalid network config", "\"%s\" must be a non-negative integer, got %.*s", key, (int)vl, v);
    }
    return n;
  }
  const char *e = getenv(env);
  if (e == NULL || e[0] == '\0') return dflt;
  if (parse_uint(e, (long)strlen(e), &n) != 0) {
    fail(4, "quantum shim: invalid environment variable", "%s=\"%s\": must be a non-negative integer", env, e);
  }
  return n;
}

// Whether to start a daemon when none answers: off if QUANTUM_AUTOSTART=0 or "autostart": false.
static int autostart_enabled(const struct buf *in) {
  int on = env_bool("QUANTUM_AUTOSTART", 1);
  const char *v;
  size_t vl;
  if (in->len > 0 && top_level_value(in->data, in->len, "autostart", &v, &vl)) {
    if (vl == 5 && memcmp(v, "false", 5) == 0) return 0;
    if (!(vl == 4 && memcmp(v, "true", 4) == 0)) {
      fail(7, "quantum shim: invalid network config", "\"autostart\" must be true or false, got %.*s", (int)vl, v);
    }
  }
  return on;
}

int main(void) {
  const char *cmd = getenv("CNI_COMMAND");
  if (cmd != NULL && strcmp(cmd, "VERSION") == 0) {
    // skel answers VERSION before looking at stdin or any other variable, always with the current
    // version: the answer is a constant, generated from src/cni/version.ts at build time.
    static const char answer[] = QUANTUM_VERSION_ANSWER;
    return write_all(STDOUT_FILENO, answer, sizeof answer - 1) == 0 ? 0 : 1;
  }
  // The "about" call (no CNI_COMMAND) never reads stdin in direct mode (skel): neither do we.
  int read_stdin = cmd != NULL && cmd[0] != '\0';
  struct buf in = {0};
  if (read_stdin && read_all_fd(STDIN_FILENO, &in, MAX_STDIN) != 0) {
    if (errno == EFBIG) fail(5, "quantum shim: stdin too large", "more than %u bytes", MAX_STDIN);
    fail(5, "error reading from stdin", "%s", strerror(errno));
  }
  set_error_version(&in);

  char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
  const char *env_sock = getenv("QUANTUM_SOCKET");
  if (!(in.len > 0 && top_level_string(in.data, in.len, "socketPath", path, sizeof path))) {
    const char *p = (env_sock != NULL && env_sock[0] != '\0') ? env_sock : DEFAULT_SOCKET;
    if (strlen(p) >= sizeof path) fail(11, "quantum shim: socket path too long", "%s", p);
    strcpy(path, p);
  }
  int64_t timeout = DEFAULT_TIMEOUT_MS;
  const char *t = getenv("QUANTUM_SHIM_TIMEOUT_MS");
  unsigned long tv;
  if (t != NULL && parse_uint(t, (long)strlen(t), &tv) == 0 && tv > 0) timeout = (int64_t)tv;
  int autostart = autostart_enabled(&in);
  char data_dir[PATH_MAX];
  struct autostart_opts ao = {
      .socket = path,
      .data_dir = (in.len > 0 && top_level_string(in.data, in.len, "dataDir", data_dir, sizeof data_dir)) ? data_dir : NULL,
      .idle_exit_s = config_uint(&in, "idleExitSeconds", "QUANTUM_IDLE_EXIT_SECONDS", AUTOSTART_DEFAULT_IDLE_EXIT_S),
      .wait_ms = config_uint(&in, "autostartWaitMs", "QUANTUM_AUTOSTART_WAIT_MS", DEFAULT_AUTOSTART_WAIT_MS),
      .starter_waits = env_bool("QUANTUM_AUTOSTART_STARTER_WAITS", 0),
  };

  struct conn_ctx cc = {.path = path, .timeout = timeout};
  int fd = connect_daemon(&cc);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT || err == ECONNREFUSED || err == ENOTDIR) {
      // No daemon. Start one (unless turned off): the call that starts it runs in-process, a call
      // that finds one starting waits up to wait_ms for it. ENOTDIR: no socket can exist there.
      if (autostart && err != ENOTDIR && read_stdin) fd = autostart_and_connect(&ao, connect_daemon, &cc);
      if (fd < 0) exec_direct(&in, read_stdin);
    } else if (err == EAGAIN || err == EINPROGRESS || err == EINTR) {
      fail(11, "quantumd did not accept the connection in time, try again later", "%s after %lld ms", path,
           (long long)timeout);
    } else {
      fail(11, "quantum shim: cannot connect to quantumd", "%s: %s", path, strerror(err));
    }
  }
  int64_t deadline = now_ms() + timeout;
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0) {
    fail(11, "quantum shim: cannot configure the socket", "%s", strerror(errno));
  }

  struct buf req = {0};
  if (build_request(&req, &in) != 0) fail(11, "quantum shim: out of memory", "building a %zu-byte request", in.len);
  size_t off = 0;
  while (off < req.len) {
    ssize_t w = send(fd, req.data + off, req.len - off, MSG_NOSIGNAL);
    if (w >= 0) {
      off += (size_t)w;
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) {
      int r = wait_fd(fd, POLLOUT, deadline);
      if (r == 0) fail(11, "quantumd did not answer in time, try again later", "%s after %lld ms", path, (long long)timeout);
      if (r < 0) fail(11, "quantum shim: poll failed", "%s", strerror(errno));
      continue;
    }
    if (errno == EPIPE || errno == ECONNRESET) break;  // the daemon may still have answered (413)
    fail(11, "quantum shim: cannot send the request", "%s: %s", path, strerror(errno));
  }
  free(req.data);

  struct buf resp = {0};
  for (;;) {
    if (buf_reserve(&resp, 65536) != 0) fail(11, "quantum shim: out of memory", "reading the answer");
    ssize_t r = recv(fd, resp.data + resp.len, 65536, 0);
    if (r > 0) {
      resp.len += (size_t)r;
      resp.data[resp.len] = '\0';
      if (resp.len > MAX_RESPONSE) fail(11, "quantum shim: answer too large", "more than %u bytes", MAX_RESPONSE);
      continue;
    }
    if (r == 0) break;
    if (errno == EINTR) continue;
    if (errno == EAGAIN) {
      int w = wait_fd(fd, POLLIN, deadline);
      if (w == 0) fail(11, "quantumd did not answer in time, try again later", "%s after %lld ms", path, (long long)timeout);
      if (w < 0) fail(11, "quantum shim: poll failed", "%s", strerror(errno));
      continue;
    }
    if (errno == ECONNRESET) break;
    fail(11, "quantum shim: cannot read the answer", "%s: %s", path, strerror(errno));
  }
  close(fd);

  if (resp.len == 0) {
    // Accepted, then closed without a word: the daemon died. Direct mode answers instead.
    exec_direct(&in, read_stdin);
  }
  const char *sep = resp.len >= 4 ? memmem(resp.data, resp.len, "\r\n\r\n", 4) : NULL;
  if (sep == NULL || resp.len < 12 || strncmp(resp.data, "HTTP/1.", 7) != 0) {
    fail(11, "quantum shim: malformed answer from quantumd, try again later", "%zu bytes without a complete HTTP head",
         resp.len);
  }
  size_t head_len = (size_t)(sep - resp.data);
  const char *body = sep + 4;
  size_t body_len = resp.len - head_len - 4;
  const char *v;
  long vl;
  unsigned long n;
  if ((vl = header_value(resp.data, head_len, "content-length", &v)) >= 0) {
    if (parse_uint(v, vl, &n) != 0 || n > body_len) {
      fail(11, "quantum shim: truncated answer from quantumd, try again later", "%zu of %.*s bytes", body_len, (int)vl, v);
    }
    body_len = n;
  }
  unsigned long exit_code;
  if ((vl = header_value(resp.data, head_len, "x-cni-exit", &v)) < 0 || parse_uint(v, vl, &exit_code) != 0 ||
      exit_code > 255) {
    fail(11, "quantum shim: quantumd answered without a CNI result, try again later", "HTTP %.3s", resp.data + 9);
  }
  unsigned long out_len = body_len;
  if ((vl = header_value(resp.data, head_len, "x-cni-stdout-length", &v)) >= 0) {
    if (parse_uint(v, vl, &out_len) != 0 || out_len > body_len) out_len = body_len;
  }
  if (write_all(STDOUT_FILENO, body, out_len) != 0) return 1;
  if (body_len > out_len) (void)write_all(STDERR_FILENO, body + out_len, body_len - out_len);
  return (int)exit_code;
}
