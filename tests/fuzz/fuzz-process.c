/* fuzz-process.c: the `exec --process FILE` JSON, alone
 * (urun_parse_process) and laid over a container's config.json
 * (urun_parse_process_over, with a fixed base that has every member). */
#include "fuzz.h"

#include <string.h>

#include "error.h"
#include "spec.h"

static const char base_config[] =
  "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},"
  "\"process\":{\"terminal\":false,\"user\":{\"uid\":1,\"gid\":2,"
  "\"umask\":18,\"additionalGids\":[3,4]},\"args\":[\"sh\",\"-c\",\"true\"],"
  "\"env\":[\"PATH=/bin\",\"HOME=/root\",\"A=1\"],\"cwd\":\"/tmp\","
  "\"capabilities\":{\"bounding\":[\"CAP_KILL\"],\"effective\":[\"CAP_KILL\"],"
  "\"permitted\":[\"CAP_KILL\"],\"inheritable\":[],\"ambient\":[]},"
  "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":1024}],"
  "\"noNewPrivileges\":true,\"oomScoreAdj\":100,"
  "\"ioPriority\":{\"class\":\"IOPRIO_CLASS_IDLE\",\"priority\":0},"
  "\"scheduler\":{\"policy\":\"SCHED_OTHER\",\"nice\":5},"
  "\"execCPUAffinity\":{\"initial\":\"0\",\"final\":\"0-1\"}},"
  "\"linux\":{\"namespaces\":[{\"type\":\"mount\"},{\"type\":\"pid\"}]}}";

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct urun_error err = URUN_ERROR_INIT;
  struct urun_process *p;

  p = urun_parse_process ((const char *) data, size, "process.json", &err);
  if ((p == NULL) == (err.msg == NULL))
    __builtin_trap ();
  urun_free_process (p);
  urun_clear_error (&err);

  p = urun_parse_process_over ((const char *) data, size, "process.json",
                               base_config, strlen (base_config), &err);
  if ((p == NULL) == (err.msg == NULL))
    __builtin_trap ();
  urun_free_process (p);
  urun_clear_error (&err);
  return 0;
}
