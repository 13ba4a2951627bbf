/* criu.h: checkpoint and restore with CRIU (libcriu) — the verbs' options,
 * and the pieces checkpoint.c and restore.c share: running criu
 * (criu-run.c), the container's mounts as criu must see them
 * (criu-mounts.c), criu's mount view in rootless mode (criu-view.c), and
 * what urun keeps next to criu's images (criu-image.c). */
#ifndef URUN_CRIU_H
#define URUN_CRIU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "container.h"
#include "error.h"
#include "spec.h"

struct urun_checkpoint_opts
{
  const char *id;
  const char *criu_path; /* --criu, else $URUN_CRIU, else `criu` on PATH */
  const char *image_path;
  const char *work_path;   /* default: the image path */
  const char *parent_path; /* relative to the image path, as criu takes it */
  const char *cgroups_mode; /* soft, full, strict, ignore; NULL: default */
  bool leave_running;
  bool tcp_established;
  bool ext_unix_sk;
  bool shell_job;
  bool file_locks;
  bool pre_dump;
};

struct urun_restore_opts
{
  const char *id;
  const char *criu_path;
  const char *bundle;
  const char *image_path;
  const char *work_path;
  const char *pid_file;
  const char *console_socket;
  bool detach;
  bool no_pivot;
  bool tcp_established;
  bool ext_unix_sk;
  bool shell_job;
  bool file_locks;
};

int urun_container_checkpoint (const struct urun_context *ctx,
                               const struct urun_checkpoint_opts *opts,
                               struct urun_error *err);

/* Without --detach, waits like `run`: *EXIT_STATUS is the container's. */
int urun_container_restore (const struct urun_context *ctx,
                            const struct urun_restore_opts *opts,
                            int *exit_status, struct urun_error *err);

/* ---- criu-run.c: libcriu ------------------------------------------------ */

struct criu_opts;

/* One criu request's options, with the log in WORK_FD. */
struct urun_criu
{
  struct criu_opts *opts;
  const char *binary;
  const char *work_path;
  int work_fd;
  const char *log_name;
};

/* The criu binary: PATH, else $URUN_CRIU, else `criu`. */
const char *urun_criu_binary (const char *path);

/* Options for one request: images in IMAGES_FD, log LOG_NAME in WORK_FD.
 * Checks that criu runs and is new enough (3.18: --unprivileged). */
int urun_criu_init (struct urun_criu *c, const char *binary, int images_fd,
                    int work_fd, const char *work_path, const char *log_name,
                    struct urun_error *err);
void urun_criu_free (struct urun_criu *c);

/* criu --unprivileged (CRIU 3.18+). */
void urun_criu_set_unprivileged (struct urun_criu *c, bool unprivileged);

/* A failed request (RET from libcriu): the last error line of criu's log. */
int urun_criu_fail (const struct urun_criu *c, int ret, const char *action,
                    struct urun_error *err);

/* Does the kernel track dirty memory (soft-dirty), as pre-dumps need? */
bool urun_criu_has_dirty_tracking (void);

/* ---- criu-mounts.c: mountinfo, external mounts -------------------------- */

struct urun_mountinfo
{
  int id;
  int parent;
  unsigned dev_major, dev_minor;
  char *root;       /* inside the filesystem */
  char *mountpoint; /* as the reader sees it */
  char *options;    /* per mount: "ro,nosuid,relatime" */
  char *fstype;
};

struct urun_mountinfo *urun_mountinfo_read (pid_t pid, size_t *n,
                                            struct urun_error *err);
void urun_mountinfo_free (struct urun_mountinfo *m, size_t n);

/* A mount of the container that came from the host (a bind mount, device
 * nodes, /sys of a rootless container): criu cannot make it, so it is an
 * external mount — KEY in the image, re-bound from HOST_PATH on restore. */
struct urun_criu_external
{
  char *key;        /* NULL: below another external, left out of the image */
  char *mountpoint;
  char *host_path;
  char *options;    /* per mount, as mountinfo showed them */
  bool recursive;   /* mounts from the host below it: bind it with MS_REC */
};

/* Every mount of PID (but `/`) whose filesystem is mounted in our own mount
 * namespace too, the ones below such a mount with no key (see
 * criu-mounts.c); *ROOT_OPTIONS: the per-mount options of PID's `/`. */
int urun_criu_find_externals (pid_t pid, struct urun_criu_external **out,
                              size_t *n, char **root_options,
                              struct urun_error *err);
void urun_criu_externals_free (struct urun_criu_external *e, size_t n);

/* MOUNT_ATTR_* of per-mount OPTIONS ("ro,nosuid,relatime"). */
uint64_t urun_mount_attrs_of (const char *options);

/* ---- criu-view.c: criu's mount view, rootless --------------------------- */

/* Make every file the processes of the container rooted at PID map resolve,
 * by its path in the container, to the container's file from our mount
 * namespace. Runs in: the checkpoint helper, root of the container's user
 * namespace, in a private mount namespace. */
int urun_criu_prepare_view (pid_t pid, struct urun_error *err);

/* ---- criu-image.c: urun's record in the image directory ----------------- */

/* An fd 0-2 of the container's process, handed back on restore. */
struct urun_criu_stdio
{
  int fd;
  char *key; /* "pipe:[123]", "file[4a:1f2]", "socket:[9]"; NULL: nothing */
};

struct urun_criu_record
{
  bool rootless;   /* criu ran in the container's user namespace */
  char *uid_map;   /* "0 1001 1\n1 100000 65536\n", or NULL */
  char *gid_map;
  char *namespaces; /* "ipc,mnt,pid,user,uts" */
  char *root_options;
  char *hostname;
  char *domainname;
  struct urun_criu_external *externals;
  size_t n_externals;
  struct urun_criu_stdio stdio[3];
};

void urun_criu_record_free (struct urun_criu_record *r);

/* urun.json in the image directory. */
int urun_criu_record_write (int images_fd, const struct urun_criu_record *r,
                            struct urun_error *err);
int urun_criu_record_read (int images_fd, struct urun_criu_record *r,
                           struct urun_error *err);

/* The namespaces PID has of its own (not ours), "ipc,mnt,pid,user,uts". */
char *urun_criu_own_namespaces (pid_t pid);

/* The same list for what SPEC asks to create. */
char *urun_criu_spec_namespaces (const struct urun_spec *spec);

/* /proc/PID/{uid,gid}_map as "0 1001 1\n...". */
char *urun_criu_read_id_map (pid_t pid, const char *file);

/* ---- criu-mntimg.c: fixes to criu's mountpoints images ------------------ */

/* uid=/gid= options, which the kernel shows in host IDs, become IDs of the
 * user namespace (UID_MAP, GID_MAP; NULL: none); the recursive externals of
 * E get MS_REC, so that criu binds them with what is below. */
int urun_criu_fix_mount_images (int images_fd, const char *uid_map,
                                const char *gid_map,
                                const struct urun_criu_external *e, size_t n,
                                struct urun_error *err);

#endif
