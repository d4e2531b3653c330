// netlink.node: the only native code the kernel layer needs.
//
// It opens NETLINK_ROUTE sockets inside a network namespace given by path, sends one request and
// collects its replies, and opens /proc/sys files inside a netns. Every message layout lives in
// TypeScript (src/kernel/); this file only moves bytes and turns errno values into JS errors.
//
// Namespace switching is done on the calling thread and undone before returning: a socket or a
// /proc/sys file stays bound to the netns it was created in, so nothing else ever runs switched.
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/netlink.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <unistd.h>

#define MAX_STR 4096

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71  // Linux 5.14; older kernels answer ENOPROTOOPT
#endif
// Large enough for one dump datagram (the kernel fills up to 32 KiB when the reader offers it).
#define RECV_MIN 65536

// ---- errors -------------------------------------------------------------------------------

// Throws Error(message) with .errno (positive, as in C), .code ("ENOENT"), .syscall and, for
// kernel-reported failures, .kernelMessage (the extended-ack text). Always returns NULL.
static napi_value throw_errno(napi_env env, int err, const char *syscall, const char *kmsg) {
  const char *name = strerrorname_np(err);
  char text[MAX_STR + 128];
  if (kmsg != NULL && kmsg[0] != '\0') {
    snprintf(text, sizeof text, "%s: %s (kernel: %s)", syscall, strerror(err), kmsg);
  } else {
    snprintf(text, sizeof text, "%s: %s", syscall, strerror(err));
  }
  napi_value msg, code, error, num, sys;
  if (napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg) != napi_ok ||
      napi_create_string_utf8(env, name != NULL ? name : "EUNKNOWN", NAPI_AUTO_LENGTH, &code) != napi_ok ||
      napi_create_error(env, code, msg, &error) != napi_ok || napi_create_int32(env, err, &num) != napi_ok ||
      napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sys) != napi_ok) {
    napi_throw_error(env, NULL, text);
    return NULL;
  }
  napi_set_named_property(env, error, "code", code);
  napi_set_named_property(env, error, "errno", num);
  napi_set_named_property(env, error, "syscall", sys);
  if (kmsg != NULL && kmsg[0] != '\0') {
    napi_value k;
    if (napi_create_string_utf8(env, kmsg, NAPI_AUTO_LENGTH, &k) == napi_ok) {
      napi_set_named_property(env, error, "kernelMessage", k);
    }
  }
  napi_throw(env, error);
  return NULL;
}

// ---- argument helpers ---------------------------------------------------------------------

static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv, size_t *argc) {
  *argc = want;
  if (napi_get_cb_info(env, info, argc, argv, NULL, NULL) != napi_ok) return -1;
  for (size_t i = *argc; i < want; i++) napi_get_undefined(env, &argv[i]);
  return 0;
}

static int is_nullish(napi_env env, napi_value v) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return 1;
  return t == napi_undefined || t == napi_null;
}

// Copies a JS string into buf. Returns 0, or -1 after throwing a TypeError.
static int get_string(napi_env env, napi_value v, char *buf, size_t size, const char *what) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, what);
    return -1;
  }
  if (len == 0 || len >= size) {
    napi_throw_range_error(env, NULL, what);
    return -1;
  }
  if (napi_get_value_string_utf8(env, v, buf, size, &len) != napi_ok || strlen(buf) != len) {
    napi_throw_type_error(env, NULL, what);  // embedded NUL
    return -1;
  }
  return 0;
}

static int get_fd(napi_env env, napi_value v, int *fd) {
  if (napi_get_value_int32(env, v, fd) != napi_ok || *fd < 0) {
    napi_throw_type_error(env, NULL, "fd must be a non-negative integer");
    return -1;
  }
  return 0;
}

// ---- namespace switching ------------------------------------------------------------------

// Switching back can only fail if the kernel refuses to re-enter the thread's own original netns.
// Continuing would leave the JS thread (DNS, new sockets) in a foreign netns: stop loudly instead.
static void switch_back_or_abort(int self_fd) {
  if (setns(self_fd, CLONE_NEWNET) != 0) {
    fprintf(stderr, "netlink.node: FATAL: cannot switch thread back to its own netns: %s\n", strerror(errno));
    abort();
  }
}

typedef int (*ns_fn)(void *arg);

// Runs fn inside the netns at path on this thread, then switches back. Returns fn's result, or -1
// with *syscall and errno set when the switch itself failed.
static int in_netns(const char *path, ns_fn fn, void *arg, const char **syscall) {
  int target = open(path, O_RDONLY | O_CLOEXEC);
  if (target < 0) {
    *syscall = "open";
    return -1;
  }
  int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (self < 0) {
    int e = errno;
    close(target);
    errno = e;
    *syscall = "open";
    return -1;
  }
  if (setns(target, CLONE_NEWNET) != 0) {
    int e = errno;
    close(self);
    close(target);
    errno = e;
    *syscall = "setns";
    return -1;
  }
  int r = fn(arg);
  int e = errno;
  switch_back_or_abort(self);
  close(self);
  close(target);
  errno = e;
  return r;
}

// ---- sockets ------------------------------------------------------------------------------

static int make_socket(void *unused) {
  (void)unused;
  return socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
}

// openSocket(netnsPath?: string): number
static napi_value open_socket(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  size_t argc;
  char path[MAX_STR];
  if (get_args(env, info, 1, argv, &argc) != 0) return NULL;
  const char *syscall = "socket";
  int fd;
  if (is_nullish(env, argv[0])) {
    fd = make_socket(NULL);
  } else {
    if (get_string(env, argv[0], path, sizeof path, "netnsPath must be a non-empty string") != 0) return NULL;
    fd = in_netns(path, make_socket, NULL, &syscall);
  }
  if (fd < 0) return throw_errno(env, errno, syscall, NULL);

  int one = 1;
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK};  // nl_pid 0: the kernel picks our port id
  if (setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one) != 0) {
    syscall = "setsockopt";
  } else if (setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one) != 0) {
    syscall = "setsockopt";
  } else if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    syscall = "bind";
  } else {
    napi_value out;
    if (napi_create_int32(env, fd, &out) != napi_ok) {
      close(fd);
      return NULL;
    }
    return out;
  }
  int e = errno;
  close(fd);
  return throw_errno(env, e, syscall, NULL);
}

// closeSocket(fd: number): void
static napi_value close_socket(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  size_t argc;
  int fd;
  if (get_args(env, info, 1, argv, &argc) != 0 || get_fd(env, argv[0], &fd) != 0) return NULL;
  if (close(fd) != 0 && errno != EINTR) return throw_errno(env, errno, "close", NULL);
  return NULL;
}

// ---- request ------------------------------------------------------------------------------

// Finds the NLMSGERR_ATTR_MSG text in an NLMSG_ERROR message, or returns NULL.
static const char *ext_ack_message(const struct nlmsghdr *h, char *out, size_t size) {
  if (!(h->nlmsg_flags & NLM_F_ACK_TLVS)) return NULL;
  const struct nlmsgerr *e = NLMSG_DATA(h);
  size_t off = NLMSG_HDRLEN + sizeof *e;
  if (!(h->nlmsg_flags & NLM_F_CAPPED)) {
    // Uncapped: the whole original request sits between the header and the TLVs.
    if (e->msg.nlmsg_len < NLMSG_HDRLEN || e->msg.nlmsg_len > h->nlmsg_len) return NULL;
    off += NLMSG_ALIGN(e->msg.nlmsg_len) - NLMSG_HDRLEN;
  }
  const char *base = (const char *)h;
  while (off + sizeof(struct nlattr) <= h->nlmsg_len) {
    const struct nlattr *a = (const struct nlattr *)(base + off);
    if (a->nla_len < sizeof *a || off + a->nla_len > h->nlmsg_len) break;
    if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
      size_t n = a->nla_len - sizeof *a;
      if (n >= size) n = size - 1;
      memcpy(out, base + off + sizeof *a, n);
      out[n] = '\0';
      return out;
    }
    off += NLA_ALIGN(a->nla_len);
  }
  return NULL;
}

// Receives one datagram into *buf (grown as needed). Returns its length or -1 with errno set.
static ssize_t recv_datagram(int fd, char **buf, size_t *cap) {
  for (;;) {
    ssize_t n = recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if ((size_t)n > *cap) {
      char *bigger = realloc(*buf, (size_t)n);
      if (bigger == NULL) return -1;
      *buf = bigger;
      *cap = (size_t)n;
    }
    ssize_t got = recv(fd, *buf, *cap, 0);
    if (got < 0 && errno == EINTR) continue;
    return got;
  }
}

// request(fd: number, message: Buffer): Buffer[]
// Sends one netlink message and returns every reply message (NLMSG_DONE and the ACK excluded).
static napi_value request(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  size_t argc;
  int fd;
  void *req = NULL;
  size_t req_len = 0;
  if (get_args(env, info, 2, argv, &argc) != 0 || get_fd(env, argv[0], &fd) != 0) return NULL;
  if (napi_get_buffer_info(env, argv[1], &req, &req_len) != napi_ok || req_len < NLMSG_HDRLEN) {
    napi_throw_type_error(env, NULL, "message must be a Buffer holding one netlink message");
    return NULL;
  }
  const struct nlmsghdr *rh = req;
  if (rh->nlmsg_len != req_len) {
    napi_throw_range_error(env, NULL, "nlmsg_len does not match the buffer length");
    return NULL;
  }
  // Without an ACK a successful non-dump request sends no reply and recv() would wait forever.
  int dump = (rh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
  if (!dump && !(rh->nlmsg_flags & NLM_F_ACK)) {
    napi_throw_range_error(env, NULL, "a non-dump request must set NLM_F_ACK");
    return NULL;
  }
  uint32_t seq = rh->nlmsg_seq;

  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  ssize_t sent;
  do {
    sent = sendto(fd, req, req_len, 0, (struct sockaddr *)&kernel, sizeof kernel);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) return throw_errno(env, errno, "sendto", NULL);

  napi_value out;
  if (napi_create_array(env, &out) != napi_ok) return NULL;
  uint32_t count = 0;
  size_t cap = RECV_MIN;
  char *buf = malloc(cap);
  if (buf == NULL) return throw_errno(env, ENOMEM, "malloc", NULL);

  int done = 0;
  while (!done) {
    ssize_t n = recv_datagram(fd, &buf, &cap);
    if (n < 0) {
      int e = errno;
      free(buf);
      return throw_errno(env, e, "recv", NULL);
    }
    size_t len = (size_t)n;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      // Skip anything left over from an earlier request (e.g. one abandoned by a JS exception).
      if (h->nlmsg_seq != seq) continue;
      if (h->nlmsg_type == NLMSG_NOOP) continue;
      if (h->nlmsg_type == NLMSG_DONE) {
        int derr = h->nlmsg_len >= NLMSG_LENGTH(sizeof(int)) ? *(int *)NLMSG_DATA(h) : 0;
        if (derr < 0) {
          free(buf);
          return throw_errno(env, -derr, "netlink", NULL);
        }
        done = 1;
        break;
      }
      if (h->nlmsg_type == NLMSG_ERROR) {
        if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
          free(buf);
          return throw_errno(env, EBADMSG, "netlink", NULL);
        }
        const struct nlmsgerr *e = NLMSG_DATA(h);
        if (e->error != 0) {
          char kmsg[MAX_STR];
          const char *k = ext_ack_message(h, kmsg, sizeof kmsg);
          int err = -e->error;
          free(buf);
          return throw_errno(env, err, "netlink", k);
        }
        done = 1;
        break;
      }
      if (h->nlmsg_type == NLMSG_OVERRUN) {
        free(buf);
        return throw_errno(env, ENOBUFS, "netlink", NULL);
      }
      napi_value msg;
      if (napi_create_buffer_copy(env, h->nlmsg_len, h, NULL, &msg) != napi_ok ||
          napi_set_element(env, out, count++, msg) != napi_ok) {
        free(buf);
        return NULL;
      }
      // A single (non-multipart) reply to a request without ACK would end here; with ACK the
      // kernel follows it with NLMSG_ERROR(0), which ends the loop above.
    }
  }
  free(buf);
  return out;
}

// ---- netns check --------------------------------------------------------------------------

// netnsCheck(path: string): boolean. true: a network namespace; false: exists but is something
// else. Throws on a failing statfs (ENOENT for a missing path).
static napi_value netns_check(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  size_t argc;
  char path[MAX_STR];
  if (get_args(env, info, 1, argv, &argc) != 0) return NULL;
  if (get_string(env, argv[0], path, sizeof path, "path must be a non-empty string") != 0) return NULL;
  struct statfs st;
  if (statfs(path, &st) != 0) return throw_errno(env, errno, "statfs", NULL);
  int is_net = 0;
  if (st.f_type == NSFS_MAGIC) {
    // nsfs also holds mount, pid, user... namespaces: ask which kind this one is.
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return throw_errno(env, errno, "open", NULL);
    int type = ioctl(fd, NS_GET_NSTYPE);
    int e = errno;
    close(fd);
    if (type < 0) return throw_errno(env, e, "ioctl", NULL);
    is_net = type == CLONE_NEWNET;
  }
  napi_value out;
  napi_get_boolean(env, is_net, &out);
  return out;
}

// netnsCookie(): string — SO_NETNS_COOKIE of the calling thread's netns, in decimal. Unlike the
// nsfs inode, a cookie is never reused while the machine runs, so a namespace that died and a new
// one that got its inode number are told apart (the network registry's scope).
static napi_value netns_cookie(napi_env env, napi_callback_info info) {
  (void)info;
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket", NULL);
  uint64_t cookie = 0;
  socklen_t len = sizeof cookie;
  int r = getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len);
  int e = errno;
  close(fd);
  if (r != 0) return throw_errno(env, e, "getsockopt", NULL);
  char buf[32];
  snprintf(buf, sizeof buf, "%llu", (unsigned long long)cookie);
  napi_value out;
  if (napi_create_string_utf8(env, buf, NAPI_AUTO_LENGTH, &out) != napi_ok) return NULL;
  return out;
}

// ---- sysctl -------------------------------------------------------------------------------

struct sysctl_open {
  const char *file;
  int flags;
};

static int open_sysctl(void *arg) {
  struct sysctl_open *o = arg;
  return open(o->file, o->flags | O_CLOEXEC);
}

// Validates key, builds /proc/sys/<key> and opens it (inside the netns when path is not NULL).
// Returns the fd, or -1 after throwing.
static int sysctl_fd(napi_env env, napi_value ns, napi_value key, int flags) {
  char path[MAX_STR], k[MAX_STR], file[MAX_STR + 16];
  if (get_string(env, key, k, sizeof k, "sysctl key must be a non-empty string") != 0) return -1;
  if (k[0] == '/' || strstr(k, "..") != NULL) {
    napi_throw_range_error(env, NULL, "sysctl key must be relative to /proc/sys and must not contain '..'");
    return -1;
  }
  snprintf(file, sizeof file, "/proc/sys/%s", k);
  struct sysctl_open o = {file, flags};
  const char *syscall = "open";
  int fd;
  if (is_nullish(env, ns)) {
    fd = open_sysctl(&o);
  } else {
    if (get_string(env, ns, path, sizeof path, "netnsPath must be a non-empty string") != 0) return -1;
    fd = in_netns(path, open_sysctl, &o, &syscall);
  }
  if (fd < 0) throw_errno(env, errno, syscall, NULL);
  return fd;
}

// sysctlRead(netnsPath: string | null, key: string): string (raw, with the trailing newline)
static napi_value sysctl_read(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  size_t argc;
  if (get_args(env, info, 2, argv, &argc) != 0) return NULL;
  int fd = sysctl_fd(env, argv[0], argv[1], O_RDONLY);
  if (fd < 0) return NULL;
  char buf[MAX_STR];
  size_t len = 0;
  while (len < sizeof buf - 1) {
    ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      close(fd);
      return throw_errno(env, e, "read", NULL);
    }
    if (n == 0) break;
    len += (size_t)n;
  }
  close(fd);
  napi_value out;
  if (napi_create_string_utf8(env, buf, len, &out) != napi_ok) return NULL;
  return out;
}

// sysctlWrite(netnsPath: string | null, key: string, value: string): void
static napi_value sysctl_write(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  size_t argc;
  char value[MAX_STR];
  if (get_args(env, info, 3, argv, &argc) != 0) return NULL;
  if (get_string(env, argv[2], value, sizeof value, "sysctl value must be a non-empty string") != 0) return NULL;
  int fd = sysctl_fd(env, argv[0], argv[1], O_WRONLY);
  if (fd < 0) return NULL;
  // /proc/sys handlers parse one write() as the whole value: never split it.
  size_t len = strlen(value);
  ssize_t n;
  do {
    n = write(fd, value, len);
  } while (n < 0 && errno == EINTR);
  int e = errno;
  close(fd);  // nothing is buffered: write() already ran the kernel's handler
  if (n < 0) return throw_errno(env, e, "write", NULL);
  if ((size_t)n != len) return throw_errno(env, EIO, "write", NULL);
  return NULL;
}

// ---- module -------------------------------------------------------------------------------

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"openSocket", NULL, open_socket, NULL, NULL, NULL, napi_enumerable, NULL},
      {"closeSocket", NULL, close_socket, NULL, NULL, NULL, napi_enumerable, NULL},
      {"request", NULL, request, NULL, NULL, NULL, napi_enumerable, NULL},
      {"netnsCheck", NULL, netns_check, NULL, NULL, NULL, napi_enumerable, NULL},
      {"netnsCookie", NULL, netns_cookie, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sysctlRead", NULL, sysctl_read, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sysctlWrite", NULL, sysctl_write, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(netlink, init)
