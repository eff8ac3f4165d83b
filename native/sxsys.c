// sxsys: the three system calls Node lacks that the CNI plugin needs to configure a pod without
// child processes — setns(2), flock(2) and a raw NETLINK_ROUTE socket. Nothing else: the netlink
// messages are built and parsed in TypeScript (kernel/netlink/rtnl-*.ts). Node-API only, so the
// binary works with every Node version that has Node-API 8. All calls are synchronous and run on
// the calling (main) thread, which is what setns needs: the namespace belongs to that thread.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <node_api.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[256];
  char code[32];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  snprintf(code, sizeof code, "%d", err);
  napi_throw_error(env, code, msg);
  return NULL;
}

static int int_arg(napi_env env, napi_callback_info info, size_t n, int32_t *out) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < n) return -1;
  for (size_t i = 0; i < n; i++)
    if (napi_get_value_int32(env, argv[i], &out[i]) != napi_ok) return -1;
  return 0;
}

static napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

// setns(fd, nstype): moves the calling thread into the namespace `fd` refers to.
static napi_value js_setns(napi_env env, napi_callback_info info) {
  int32_t a[2];
  if (int_arg(env, info, 2, a)) return napi_throw_type_error(env, NULL, "setns(fd, nstype)"), NULL;
  if (setns(a[0], a[1]) != 0) return throw_errno(env, "setns", errno);
  return undefined(env);
}

// flock(fd, timeoutMs): exclusive lock, retried every 2 ms until timeoutMs has passed.
static napi_value js_flock(napi_env env, napi_callback_info info) {
  int32_t a[2];
  if (int_arg(env, info, 2, a)) return napi_throw_type_error(env, NULL, "flock(fd, timeoutMs)"), NULL;
  struct timespec start, now, pause = {0, 2000000};
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    if (flock(a[0], LOCK_EX | LOCK_NB) == 0) return undefined(env);
    if (errno != EWOULDBLOCK && errno != EINTR) return throw_errno(env, "flock", errno);
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t ms = (int64_t)(now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
    if (ms >= a[1]) return throw_errno(env, "flock: timed out", EWOULDBLOCK);
    nanosleep(&pause, NULL);
  }
}

// nlOpen(): a NETLINK_ROUTE socket in the calling thread's network namespace, with extended
// acks (the kernel's error text) and capped acks (no copy of the request in an error).
static napi_value js_nl_open(napi_env env, napi_callback_info info) {
  (void)info;
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return throw_errno(env, "netlink socket", errno);
  int one = 1;
  setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, "netlink bind", e);
  }
  napi_value r;
  napi_create_int32(env, fd, &r);
  return r;
}

// nlSend(fd, buffer): one datagram to the kernel.
static napi_value js_nl_send(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd;
  void *data;
  size_t len;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
      napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok)
    return napi_throw_type_error(env, NULL, "nlSend(fd, buffer)"), NULL;
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
  ssize_t n;
  do n = sendto(fd, data, len, 0, (struct sockaddr *)&sa, sizeof sa);
  while (n < 0 && errno == EINTR);
  if (n < 0) return throw_errno(env, "netlink send", errno);
  return undefined(env);
}

// nlRecv(fd): the next datagram from the kernel (blocking), as a new Buffer.
static napi_value js_nl_recv(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (int_arg(env, info, 1, &fd)) return napi_throw_type_error(env, NULL, "nlRecv(fd)"), NULL;
  ssize_t size;
  do size = recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC);
  while (size < 0 && errno == EINTR);
  if (size < 0) return throw_errno(env, "netlink recv", errno);
  void *data;
  napi_value buf;
  if (napi_create_buffer(env, size > 0 ? (size_t)size : 1, &data, &buf) != napi_ok) return NULL;
  ssize_t n;
  do n = recv(fd, data, size > 0 ? (size_t)size : 1, 0);
  while (n < 0 && errno == EINTR);
  if (n < 0) return throw_errno(env, "netlink recv", errno);
  if (n < size) {
    napi_value slice;
    napi_create_buffer_copy(env, (size_t)n, data, NULL, &slice);
    return slice;
  }
  return buf;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"setns", NULL, js_setns, NULL, NULL, NULL, napi_default, NULL},
      {"flock", NULL, js_flock, NULL, NULL, NULL, napi_default, NULL},
      {"nlOpen", NULL, js_nl_open, NULL, NULL, NULL, napi_default, NULL},
      {"nlSend", NULL, js_nl_send, NULL, NULL, NULL, napi_default, NULL},
      {"nlRecv", NULL, js_nl_recv, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
