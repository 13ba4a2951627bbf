/* signals.c: parse the signal names runc and crun accept for `kill`. */
#define _GNU_SOURCE
#include "signals.h"

#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "utils.h"

static const struct
{
  const char *name;
  int number;
} signal_names[] = {
  { "HUP", SIGHUP },       { "INT", SIGINT },       { "QUIT", SIGQUIT },
  { "ILL", SIGILL },       { "TRAP", SIGTRAP },     { "ABRT", SIGABRT },
  { "IOT", SIGIOT },       { "BUS", SIGBUS },       { "FPE", SIGFPE },
  { "KILL", SIGKILL },     { "USR1", SIGUSR1 },     { "SEGV", SIGSEGV },
  { "USR2", SIGUSR2 },     { "PIPE", SIGPIPE },     { "ALRM", SIGALRM },
  { "TERM", SIGTERM },     { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD },
  { "CONT", SIGCONT },     { "STOP", SIGSTOP },     { "TSTP", SIGTSTP },
  { "TTIN", SIGTTIN },     { "TTOU", SIGTTOU },     { "URG", SIGURG },
  { "XCPU", SIGXCPU },     { "XFSZ", SIGXFSZ },     { "VTALRM", SIGVTALRM },
  { "PROF", SIGPROF },     { "WINCH", SIGWINCH },   { "IO", SIGIO },
  { "POLL", SIGPOLL },     { "PWR", SIGPWR },       { "SYS", SIGSYS },
};

/* "RTMIN", "RTMIN+N", "RTMAX-N". */
static int
parse_realtime (const char *name)
{
  uint64_t offset = 0;
  int base, sign, sig;

  if (strncasecmp (name, "RTMIN", 5) == 0)
    base = SIGRTMIN, sign = 1;
  else if (strncasecmp (name, "RTMAX", 5) == 0)
    base = SIGRTMAX, sign = -1;
  else
    return -1;
  name += 5;
  if (*name != '\0')
    {
      if (*name != (sign > 0 ? '+' : '-') || !urun_parse_u64 (name + 1, &offset))
        return -1;
    }
  if (offset > (uint64_t) (SIGRTMAX - SIGRTMIN))
    return -1;
  sig = base + sign * (int) offset;
  return sig;
}

int
urun_parse_signal (const char *name)
{
  uint64_t number;

  if (urun_parse_u64 (name, &number))
    return number >= 1 && number < (uint64_t) NSIG ? (int) number : -1;
  if (strncasecmp (name, "SIG", 3) == 0)
    name += 3;
  for (size_t i = 0; i < sizeof signal_names / sizeof signal_names[0]; i++)
    if (strcasecmp (name, signal_names[i].name) == 0)
      return signal_names[i].number;
  return parse_realtime (name);
}
