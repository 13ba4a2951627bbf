/* api.h: the slirp4netns-compatible JSON control socket (--api-socket). */
#ifndef URUN_SLIRP_API_H
#define URUN_SLIRP_API_H

#include <stdint.h>

#include <slirp/libslirp.h>

#include "config.h"
#include "error.h"
#include "splice.h"

struct urun_api;

/* Bind and listen on CFG->api_socket and register it in EPFD. */
struct urun_api *urun_api_new (const struct urun_slirp_config *cfg,
                               Slirp *slirp, struct urun_splice *splice,
                               int epfd, struct urun_error *err);

/* FD (the listening socket or a client) is ready with EVENTS. */
void urun_api_event (struct urun_api *api, int fd, uint32_t events,
                     int64_t now_ms);

/* When the oldest client times out (ms, loop clock), or -1 if none. */
int64_t urun_api_deadline (const struct urun_api *api);
void urun_api_expire (struct urun_api *api, int64_t now_ms);

/* Close everything; unlink the socket unless the sandbox hid it. */
void urun_api_free (struct urun_api *api);

#endif
