/* checkpoint.c: `urun checkpoint` and `urun restore`, with runc's flags. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../criu.h"
#include "commands.h"

static const char checkpoint_help[]
    = "Usage: urun checkpoint [OPTIONS] CONTAINER-ID\n"
      "Dump a running container with CRIU; rootless containers too (CRIU 3.18+,\n"
      "no capabilities needed). The container is removed unless --leave-running.\n\n"
      "      --image-path DIR     where the images go (default: ./checkpoint)\n"
      "      --work-path DIR      where criu's log goes (default: the image path)\n"
      "      --leave-running      keep the container running\n"
      "      --tcp-established    dump established TCP connections\n"
      "      --ext-unix-sk        allow external unix sockets\n"
      "      --shell-job          allow a shell job (a terminal from outside)\n"
      "      --file-locks         dump file locks\n"
      "      --manage-cgroups-mode MODE  soft, full, strict or ignore (root only)\n"
      "      --pre-dump           dump memory only, keep running (needs soft-dirty)\n"
      "      --parent-path DIR    the pre-dump this one builds on\n";

static const char restore_help[]
    = "Usage: urun restore [OPTIONS] CONTAINER-ID\n"
      "Restore a container from CRIU images into a bundle made like the original\n"
      "(same namespaces and ID mappings); waits for it unless --detach.\n\n"
      "  -b, --bundle DIR         bundle directory (default: current directory)\n"
      "      --image-path DIR     the images (default: ./checkpoint)\n"
      "      --work-path DIR      where criu's log goes (default: the image path)\n"
      "  -d, --detach             return once the container runs\n"
      "      --pid-file FILE      write the container's pid to FILE\n"
      "      --console-socket P   unix socket to receive the terminal's master fd\n"
      "      --no-pivot           accepted (criu sets up the root itself)\n"
      "      --tcp-established    restore established TCP connections\n"
      "      --ext-unix-sk        allow external unix sockets\n"
      "      --shell-job          allow a shell job\n"
      "      --file-locks         restore file locks\n";

enum
{
  OPT_IMAGE_PATH = 256,
  OPT_WORK_PATH,
  OPT_LEAVE_RUNNING,
  OPT_TCP_ESTABLISHED,
  OPT_EXT_UNIX_SK,
  OPT_SHELL_JOB,
  OPT_FILE_LOCKS,
  OPT_MANAGE_CGROUPS_MODE,
  OPT_PRE_DUMP,
  OPT_PARENT_PATH,
  OPT_PID_FILE,
  OPT_CONSOLE_SOCKET,
  OPT_NO_PIVOT,
};

static const struct option options[] = {
  { "image-path", required_argument, NULL, OPT_IMAGE_PATH },
  { "work-path", required_argument, NULL, OPT_WORK_PATH },
  { "leave-running", no_argument, NULL, OPT_LEAVE_RUNNING },
  { "tcp-established", no_argument, NULL, OPT_TCP_ESTABLISHED },
  { "ext-unix-sk", no_argument, NULL, OPT_EXT_UNIX_SK },
  { "shell-job", no_argument, NULL, OPT_SHELL_JOB },
  { "file-locks", no_argument, NULL, OPT_FILE_LOCKS },
  { "manage-cgroups-mode", required_argument, NULL, OPT_MANAGE_CGROUPS_MODE },
  { "pre-dump", no_argument, NULL, OPT_PRE_DUMP },
  { "parent-path", required_argument, NULL, OPT_PARENT_PATH },
  { "bundle", required_argument, NULL, 'b' },
  { "detach", no_argument, NULL, 'd' },
  { "pid-file", required_argument, NULL, OPT_PID_FILE },
  { "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },
  { "no-pivot", no_argument, NULL, OPT_NO_PIVOT },
  { NULL, 0, NULL, 0 },
};

static int
parse_checkpoint (int c, struct urun_checkpoint_opts *o, struct urun_error *err)
{
  switch (c)
    {
    case OPT_IMAGE_PATH: o->image_path = optarg; return 0;
    case OPT_WORK_PATH: o->work_path = optarg; return 0;
    case OPT_LEAVE_RUNNING: o->leave_running = true; return 0;
    case OPT_TCP_ESTABLISHED: o->tcp_established = true; return 0;
    case OPT_EXT_UNIX_SK: o->ext_unix_sk = true; return 0;
    case OPT_SHELL_JOB: o->shell_job = true; return 0;
    case OPT_FILE_LOCKS: o->file_locks = true; return 0;
    case OPT_PRE_DUMP: o->pre_dump = true; return 0;
    case OPT_PARENT_PATH: o->parent_path = optarg; return 0;
    case OPT_MANAGE_CGROUPS_MODE:
      if (strcmp (optarg, "soft") && strcmp (optarg, "full") && strcmp (optarg, "strict")
          && strcmp (optarg, "ignore"))
        return urun_usage_error ("checkpoint", checkpoint_help,
                                 "--manage-cgroups-mode: expected soft, full, strict or ignore", err);
      o->cgroups_mode = optarg;
      return 0;
    default:
      return urun_usage_error ("checkpoint", checkpoint_help, "unknown option", err);
    }
}

static int
parse_restore (int c, struct urun_restore_opts *o, struct urun_error *err)
{
  switch (c)
    {
    case 'b': o->bundle = optarg; return 0;
    case 'd': o->detach = true; return 0;
    case OPT_IMAGE_PATH: o->image_path = optarg; return 0;
    case OPT_WORK_PATH: o->work_path = optarg; return 0;
    case OPT_PID_FILE: o->pid_file = optarg; return 0;
    case OPT_CONSOLE_SOCKET: o->console_socket = optarg; return 0;
    case OPT_NO_PIVOT: o->no_pivot = true; return 0;
    case OPT_TCP_ESTABLISHED: o->tcp_established = true; return 0;
    case OPT_EXT_UNIX_SK: o->ext_unix_sk = true; return 0;
    case OPT_SHELL_JOB: o->shell_job = true; return 0;
    case OPT_FILE_LOCKS: o->file_locks = true; return 0;
    default:
      return urun_usage_error ("restore", restore_help, "unknown option", err);
    }
}

int
urun_cmd_checkpoint (struct urun_global *g, int argc, char **argv,
                     struct urun_error *err)
{
  struct urun_checkpoint_opts o = { .image_path = "checkpoint", .criu_path = g->criu_path };
  int c;

  if (urun_wants_help (argc, argv, checkpoint_help))
    return 0;
  optind = 0; /* glibc re-initialises fully only for 0; getopt(3) */
  while ((c = getopt_long (argc, argv, "+", options, NULL)) != -1)
    if (parse_checkpoint (c, &o, err) < 0)
      return -1;
  if (optind != argc - 1)
    return urun_usage_error ("checkpoint", checkpoint_help, "expected exactly one CONTAINER-ID", err);
  o.id = argv[optind];
  return urun_container_checkpoint (&g->ctx, &o, err);
}

int
urun_cmd_restore (struct urun_global *g, int argc, char **argv,
                  struct urun_error *err)
{
  struct urun_restore_opts o = { .image_path = "checkpoint", .criu_path = g->criu_path };
  int c, status = 0;

  if (urun_wants_help (argc, argv, restore_help))
    return 0;
  optind = 0;
  while ((c = getopt_long (argc, argv, "+b:d", options, NULL)) != -1)
    if (parse_restore (c, &o, err) < 0)
      return -1;
  if (optind != argc - 1)
    return urun_usage_error ("restore", restore_help, "expected exactly one CONTAINER-ID", err);
  o.id = argv[optind];
  if (urun_container_restore (&g->ctx, &o, &status, err) < 0)
    return -1;
  return status;
}
