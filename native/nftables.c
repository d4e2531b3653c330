// nftables.node: runs nft scripts in-process through libnftables instead of exec'ing `nft -f -`
// (~5-10 ms per exec; the library does the same work in well under a millisecond).
//
// One nft context per network namespace path, cached per JS thread (module instance data; every
// worker_thread loads its own instance and frees its contexts when it ends). A context's netfilter
// socket is bound to the netns it was created in, and libnftables opens other sockets on the fly
// (interface-name lookups), so both the creation and every run happen inside the target netns:
// setns on the calling thread, work, setns back (abort if that fails: the JS thread must never stay
// in a foreign netns).
//
// libnftables keeps some process-wide state (its interface cache, one-time init): every call into
// it holds one process-wide mutex, so worker threads never run it concurrently. Runs are sub-ms and
// the kernel serialises nf_tables transactions per netns anyway.
//
// Scripts are run from a memfd as a file (`nft -f` semantics), not from a string: libnftables 1.0.6
// quotes the wrong line in errors about multi-line buffers. The file's name in error locations is
// rewritten to "/dev/stdin", so error text is exactly what `nft -f -` prints. JSON listings run from
// a string, as `nft -j list ...` does with its arguments.
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <nftables/libnftables.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_PATH 4096
// Contexts cached per thread. Each holds a socket (and so a reference) in its netns: a netns whose
// path was removed stays alive until its context is dropped, so keep the cache small and drop
// entries whose path is gone (checked on every call).
#define MAX_CTX 8

static pthread_mutex_t lib_lock = PTHREAD_MUTEX_INITIALIZER;

struct entry {
  char *path;  // NULL: the thread's own netns
  int nsfd;    // -1 for the own netns
  dev_t dev;
  ino_t ino;
  struct nft_ctx *ctx;
  uint64_t used;
};

struct state {
  struct entry own;  // path NULL, ctx created on first use
  struct entry e[MAX_CTX];
  size_t n;
  uint64_t clock;
  int self_fd;  // this JS thread's own netns
};

// ---- errors -------------------------------------------------------------------------------

// Throws Error("<syscall> <path>: <strerror>") with .errno (positive), .code ("ENOENT"),
// .syscall and .path. Always returns NULL.
static napi_value throw_errno(napi_env env, int err, const char *syscall, const char *path, const char *hint) {
  const char *name = strerrorname_np(err);
  char text[MAX_PATH + 256];
  snprintf(text, sizeof text, "%s%s%s: %s%s", syscall, path ? " " : "", path ? path : "", strerror(err),
           hint ? hint : "");
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
  if (path != NULL) {
    napi_value p;
    if (napi_create_string_utf8(env, path, NAPI_AUTO_LENGTH, &p) == napi_ok) napi_set_named_property(env, error, "path", p);
  }
  napi_throw(env, error);
  return NULL;
}

// ---- namespace switching ------------------------------------------------------------------

static void switch_back_or_abort(int self_fd) {
  if (setns(self_fd, CLONE_NEWNET) != 0) {
    fprintf(stderr, "nftables.node: FATAL: cannot switch thread back to its own netns: %s\n", strerror(errno));
    abort();
  }
}

// ---- contexts -----------------------------------------------------------------------------

// libnftables opens its netfilter socket without O_CLOEXEC: children Node spawns would inherit it
// (and with it a reference to the netns). Mark every such socket of this process close-on-exec.
static void cloexec_nfnetlink_sockets(void) {
  DIR *d = opendir("/proc/self/fd");
  if (d == NULL) return;
  int dfd = dirfd(d);
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    char *end;
    long fd = strtol(de->d_name, &end, 10);
    if (*end != '\0' || end == de->d_name || fd == dfd) continue;
    int flags = fcntl((int)fd, F_GETFD);
    if (flags < 0 || (flags & FD_CLOEXEC)) continue;
    int domain = 0, proto = 0;
    socklen_t len = sizeof domain;
    if (getsockopt((int)fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 || domain != AF_NETLINK) continue;
    len = sizeof proto;
    if (getsockopt((int)fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) != 0 || proto != NETLINK_NETFILTER) continue;
    fcntl((int)fd, F_SETFD, flags | FD_CLOEXEC);
  }
  closedir(d);
}

// Creates a context in the current netns (caller holds lib_lock). Returns NULL with errno set.
static struct nft_ctx *new_ctx(void) {
  // nft_ctx_new() calls exit() when it cannot open its netlink socket (EMFILE, no nf_tables...):
  // try one first so such a failure becomes an exception instead of ending the process.
  int probe = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  if (probe < 0) return NULL;
  close(probe);
  struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
  if (ctx == NULL) {
    errno = ENOMEM;
    return NULL;
  }
  cloexec_nfnetlink_sockets();
  if (nft_ctx_buffer_output(ctx) != 0 || nft_ctx_buffer_error(ctx) != 0) {
    nft_ctx_free(ctx);
    errno = ENOMEM;
    return NULL;
  }
  return ctx;
}

static void free_entry(struct entry *en) {
  if (en->ctx != NULL) {
    pthread_mutex_lock(&lib_lock);
    nft_ctx_free(en->ctx);
    pthread_mutex_unlock(&lib_lock);
  }
  if (en->nsfd >= 0) close(en->nsfd);
  free(en->path);
  memset(en, 0, sizeof *en);
  en->nsfd = -1;
}

static void remove_entry(struct state *st, size_t i) {
  free_entry(&st->e[i]);
  st->e[i] = st->e[--st->n];
  st->e[st->n].ctx = NULL;
  st->e[st->n].path = NULL;
  st->e[st->n].nsfd = -1;
}

// Drops cached contexts whose path now names another netns or nothing (so a deleted netns is not
// kept alive by our socket longer than until the next call on this thread).
static void sweep(struct state *st) {
  for (size_t i = 0; i < st->n;) {
    struct stat sb;
    if (stat(st->e[i].path, &sb) != 0 || sb.st_dev != st->e[i].dev || sb.st_ino != st->e[i].ino) {
      remove_entry(st, i);
    } else {
      i++;
    }
  }
}

// Opens path and creates a context inside its netns. Returns 0, or -1 after throwing.
static int create_in_netns(napi_env env, struct state *st, const char *path, struct entry *out) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return throw_errno(env, errno, "open", path, NULL), -1;
  struct stat sb;
  if (fstat(fd, &sb) != 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, e, "fstat", path, NULL), -1;
  }
  pthread_mutex_lock(&lib_lock);
  if (setns(fd, CLONE_NEWNET) != 0) {
    int e = errno;
    pthread_mutex_unlock(&lib_lock);
    close(fd);
    return throw_errno(env, e, "setns", path, e == EINVAL ? " (not a network namespace)" : NULL), -1;
  }
  struct nft_ctx *ctx = new_ctx();
  int e = errno;
  switch_back_or_abort(st->self_fd);
  pthread_mutex_unlock(&lib_lock);
  if (ctx == NULL) {
    close(fd);
    return throw_errno(env, e, "nft_ctx_new", path, NULL), -1;
  }
  char *copy = strdup(path);
  if (copy == NULL) {
    pthread_mutex_lock(&lib_lock);
    nft_ctx_free(ctx);
    pthread_mutex_unlock(&lib_lock);
    close(fd);
    return throw_errno(env, ENOMEM, "strdup", NULL, NULL), -1;
  }
  *out = (struct entry){.path = copy, .nsfd = fd, .dev = sb.st_dev, .ino = sb.st_ino, .ctx = ctx};
  return 0;
}

// The cached context for path (NULL: own netns), created when missing. NULL after throwing.
static struct entry *lookup(napi_env env, struct state *st, const char *path) {
  st->clock++;
  if (path == NULL) {
    if (st->own.ctx == NULL) {
      pthread_mutex_lock(&lib_lock);
      st->own.ctx = new_ctx();
      int e = errno;
      pthread_mutex_unlock(&lib_lock);
      if (st->own.ctx == NULL) return throw_errno(env, e, "nft_ctx_new", NULL, NULL), NULL;
    }
    st->own.used = st->clock;
    return &st->own;
  }
  sweep(st);
  for (size_t i = 0; i < st->n; i++) {
    if (strcmp(st->e[i].path, path) == 0) {
      st->e[i].used = st->clock;
      return &st->e[i];
    }
  }
  struct entry fresh;
  if (create_in_netns(env, st, path, &fresh) != 0) return NULL;
  if (st->n == MAX_CTX) {
    size_t lru = 0;
    for (size_t i = 1; i < st->n; i++) {
      if (st->e[i].used < st->e[lru].used) lru = i;
    }
    remove_entry(st, lru);
  }
  fresh.used = st->clock;
  st->e[st->n] = fresh;
  return &st->e[st->n++];
}

// ---- running ------------------------------------------------------------------------------

// Copies err into a new string with every "<name>:" replaced by "/dev/stdin:".
static char *rename_input(const char *err, const char *name) {
  static const char stdin_name[] = "/dev/stdin:";
  char pat[64];
  snprintf(pat, sizeof pat, "%s:", name);
  size_t plen = strlen(pat), slen = sizeof stdin_name - 1;
  size_t count = 0;
  for (const char *p = strstr(err, pat); p != NULL; p = strstr(p + plen, pat)) count++;
  size_t len = strlen(err);
  size_t size = len + 1 + (slen > plen ? count * (slen - plen) : 0);
  char *out = malloc(size);
  if (out == NULL) return NULL;
  char *w = out;
  const char *r = err;
  for (const char *p = strstr(r, pat); p != NULL; p = strstr(r, pat)) {
    memcpy(w, r, (size_t)(p - r));
    w += p - r;
    memcpy(w, stdin_name, slen);
    w += slen;
    r = p + plen;
  }
  strcpy(w, r);
  return out;
}

// Writes script into a new memfd. Returns its fd, or -1 with errno set.
static int script_file(const char *script, size_t len) {
  int fd = memfd_create("nft-script", MFD_CLOEXEC);
  if (fd < 0) return -1;
  size_t off = 0;
  while (off < len) {
    ssize_t n = write(fd, script + off, len - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      close(fd);
      errno = e;
      return -1;
    }
    off += (size_t)n;
  }
  return fd;
}

static bool get_flag(napi_env env, napi_value obj, const char *name) {
  napi_valuetype t;
  if (napi_typeof(env, obj, &t) != napi_ok || t != napi_object) return false;
  napi_value v;
  bool b = false;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok) return false;
  if (napi_get_value_bool(env, v, &b) != napi_ok) return false;
  return b;
}

// run(netnsPath: string | null, script: string, flags?: {json?: boolean, check?: boolean})
//   -> {ok: boolean, output: string, error: string}
// Throws (errno, code, syscall, path) only when the netns cannot be entered or a context cannot be
// made; nft's own failures come back as ok: false with its error text.
static napi_value run(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  size_t argc = 3;
  struct state *st;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (napi_get_instance_data(env, (void **)&st) != napi_ok || st == NULL) {
    napi_throw_error(env, NULL, "nftables.node: no instance data");
    return NULL;
  }
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "run(netnsPath, script, flags) needs a script");
    return NULL;
  }
  const bool json = argc > 2 && get_flag(env, argv[2], "json");
  const bool check = argc > 2 && get_flag(env, argv[2], "check");

  char path[MAX_PATH];
  const char *nspath = NULL;
  napi_valuetype t;
  if (napi_typeof(env, argv[0], &t) != napi_ok) return NULL;
  if (t != napi_undefined && t != napi_null) {
    size_t len = 0;
    if (t != napi_string || napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len) != napi_ok ||
        len == 0 || len >= sizeof path - 1 || strlen(path) != len) {
      napi_throw_type_error(env, NULL, "netnsPath must be null or a non-empty path");
      return NULL;
    }
    nspath = path;
  }

  size_t slen = 0;
  if (napi_get_value_string_utf8(env, argv[1], NULL, 0, &slen) != napi_ok) {
    napi_throw_type_error(env, NULL, "script must be a string");
    return NULL;
  }
  char *script = malloc(slen + 1);
  if (script == NULL) return throw_errno(env, ENOMEM, "malloc", NULL, NULL);
  if (napi_get_value_string_utf8(env, argv[1], script, slen + 1, &slen) != napi_ok || strlen(script) != slen) {
    free(script);
    napi_throw_type_error(env, NULL, "script must be a string without NUL characters");
    return NULL;
  }

  struct entry *en = lookup(env, st, nspath);
  if (en == NULL) {
    free(script);
    return NULL;
  }

  // A script's `define`s live on in its context's top scope ("redefinition of symbol" on the next
  // run): such scripts get a context of their own, freed right after.
  const bool throwaway = strstr(script, "define") != NULL;

  int memfd = -1;
  char name[64] = "";
  if (!json) {
    memfd = script_file(script, slen);
    if (memfd < 0) {
      int e = errno;
      free(script);
      return throw_errno(env, e, "memfd_create", NULL, NULL);
    }
    snprintf(name, sizeof name, "/proc/self/fd/%d", memfd);
  }

  pthread_mutex_lock(&lib_lock);
  if (en->nsfd >= 0 && setns(en->nsfd, CLONE_NEWNET) != 0) {
    int e = errno;
    pthread_mutex_unlock(&lib_lock);
    free(script);
    if (memfd >= 0) close(memfd);
    return throw_errno(env, e, "setns", nspath, NULL);
  }
  struct nft_ctx *ctx = throwaway ? new_ctx() : en->ctx;
  int e = errno;
  int rc = -1;
  char *output = NULL, *error = NULL;
  if (ctx != NULL) {
    unsigned int oflags = nft_ctx_output_get_flags(ctx);
    nft_ctx_output_set_flags(ctx, json ? (oflags | NFT_CTX_OUTPUT_JSON) : (oflags & ~NFT_CTX_OUTPUT_JSON));
    nft_ctx_set_dry_run(ctx, check);
    // Reading a buffer rewinds it: whatever an earlier run left there is dropped.
    nft_ctx_get_output_buffer(ctx);
    nft_ctx_get_error_buffer(ctx);
    rc = json ? nft_run_cmd_from_buffer(ctx, script) : nft_run_cmd_from_filename(ctx, name);
    output = strdup(nft_ctx_get_output_buffer(ctx));
    const char *err = nft_ctx_get_error_buffer(ctx);
    error = json ? strdup(err) : rename_input(err, name);
    nft_ctx_set_dry_run(ctx, false);
    if (throwaway) nft_ctx_free(ctx);
  }
  if (en->nsfd >= 0) switch_back_or_abort(st->self_fd);
  pthread_mutex_unlock(&lib_lock);
  free(script);
  if (memfd >= 0) close(memfd);

  if (ctx == NULL) return throw_errno(env, e, "nft_ctx_new", nspath, NULL);
  if (output == NULL || error == NULL) {
    free(output);
    free(error);
    return throw_errno(env, ENOMEM, "malloc", NULL, NULL);
  }
  napi_value res, ok, out, errv;
  napi_status s1 = napi_create_object(env, &res);
  napi_status s2 = napi_get_boolean(env, rc == 0, &ok);
  napi_status s3 = napi_create_string_utf8(env, output, NAPI_AUTO_LENGTH, &out);
  napi_status s4 = napi_create_string_utf8(env, error, NAPI_AUTO_LENGTH, &errv);
  free(output);
  free(error);
  if (s1 != napi_ok || s2 != napi_ok || s3 != napi_ok || s4 != napi_ok) return NULL;
  napi_set_named_property(env, res, "ok", ok);
  napi_set_named_property(env, res, "output", out);
  napi_set_named_property(env, res, "error", errv);
  return res;
}

// release(netnsPath?: string | null): number — frees cached contexts: the one for netnsPath, or
// (no argument) all of this thread's. Returns how many were freed.
static napi_value release(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  size_t argc = 1;
  struct state *st;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (napi_get_instance_data(env, (void **)&st) != napi_ok || st == NULL) return NULL;
  uint32_t freed = 0;
  napi_valuetype t = napi_undefined;
  if (argc > 0 && napi_typeof(env, argv[0], &t) != napi_ok) return NULL;
  if (t == napi_undefined) {
    while (st->n > 0) {
      remove_entry(st, st->n - 1);
      freed++;
    }
    if (st->own.ctx != NULL) {
      free_entry(&st->own);
      freed++;
    }
  } else if (t == napi_null) {
    if (st->own.ctx != NULL) {
      free_entry(&st->own);
      freed++;
    }
  } else {
    char path[MAX_PATH];
    size_t len = 0;
    if (napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len) != napi_ok) {
      napi_throw_type_error(env, NULL, "netnsPath must be a string or null");
      return NULL;
    }
    for (size_t i = 0; i < st->n; i++) {
      if (strcmp(st->e[i].path, path) == 0) {
        remove_entry(st, i);
        freed++;
        break;
      }
    }
  }
  napi_value out;
  napi_create_uint32(env, freed, &out);
  return out;
}

// cached(): string[] — the netns paths this thread holds contexts for ("" for its own netns).
static napi_value cached(napi_env env, napi_callback_info info) {
  (void)info;
  struct state *st;
  if (napi_get_instance_data(env, (void **)&st) != napi_ok || st == NULL) return NULL;
  napi_value arr, s;
  if (napi_create_array(env, &arr) != napi_ok) return NULL;
  uint32_t k = 0;
  if (st->own.ctx != NULL && napi_create_string_utf8(env, "", 0, &s) == napi_ok) napi_set_element(env, arr, k++, s);
  for (size_t i = 0; i < st->n; i++) {
    if (napi_create_string_utf8(env, st->e[i].path, NAPI_AUTO_LENGTH, &s) == napi_ok) napi_set_element(env, arr, k++, s);
  }
  return arr;
}

// ---- module -------------------------------------------------------------------------------

// Runs when this env (the main thread or a worker) is torn down.
static void finalize_state(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  struct state *st = data;
  while (st->n > 0) remove_entry(st, st->n - 1);
  free_entry(&st->own);
  if (st->self_fd >= 0) close(st->self_fd);
  free(st);
}

static napi_value init(napi_env env, napi_value exports) {
  struct state *st = calloc(1, sizeof *st);
  if (st == NULL) {
    napi_throw_error(env, NULL, "nftables.node: out of memory");
    return NULL;
  }
  st->own.nsfd = -1;
  for (size_t i = 0; i < MAX_CTX; i++) st->e[i].nsfd = -1;
  // Module init runs on the JS thread that loads us: remember its netns to come back to.
  st->self_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (st->self_fd < 0) {
    int e = errno;
    free(st);
    return throw_errno(env, e, "open", "/proc/thread-self/ns/net", NULL);
  }
  if (napi_set_instance_data(env, st, finalize_state, NULL) != napi_ok) {
    close(st->self_fd);
    free(st);
    return NULL;
  }
  napi_property_descriptor props[] = {
      {"run", NULL, run, NULL, NULL, NULL, napi_enumerable, NULL},
      {"release", NULL, release, NULL, NULL, NULL, napi_enumerable, NULL},
      {"cached", NULL, cached, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(nftables, init)
