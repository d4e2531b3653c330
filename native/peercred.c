// peercred.node: SO_PEERCRED for quantumd. Node cannot read the credentials of the process at the
// other end of a unix socket; this reads them from the connection's fd.
//   getPeerCred(fd) -> { pid, uid, gid }   throws Error with .code/.errno on failure
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static napi_value throw_errno(napi_env env, int err) {
  char text[160];
  snprintf(text, sizeof text, "getsockopt(SO_PEERCRED): %s", strerror(err));
  const char *name = strerrorname_np(err);
  napi_throw_error(env, name != NULL ? name : "EUNKNOWN", text);
  return NULL;
}

static napi_value get_peer_cred(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  int32_t fd = -1;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, NULL, "getPeerCred(fd): fd must be a non-negative integer");
    return NULL;
  }
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return throw_errno(env, errno);
  if (len != sizeof cred) return throw_errno(env, EPROTO);
  napi_value out, pid, uid, gid;
  if (napi_create_object(env, &out) != napi_ok || napi_create_int32(env, cred.pid, &pid) != napi_ok ||
      napi_create_uint32(env, cred.uid, &uid) != napi_ok || napi_create_uint32(env, cred.gid, &gid) != napi_ok ||
      napi_set_named_property(env, out, "pid", pid) != napi_ok ||
      napi_set_named_property(env, out, "uid", uid) != napi_ok ||
      napi_set_named_property(env, out, "gid", gid) != napi_ok) {
    return NULL;
  }
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  if (napi_create_function(env, "getPeerCred", NAPI_AUTO_LENGTH, get_peer_cred, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "getPeerCred", fn) != napi_ok) {
    return NULL;
  }
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
