/* fuzz-signal.c: signal names and numbers as `kill` takes them
 * (urun_parse_signal): any result is -1 or a real signal number. */
#include "fuzz.h"

#include <signal.h>
#include <stdlib.h>

#include "signals.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *name = fuzz_strndup (data, size);
  int sig = urun_parse_signal (name);

  if (sig != -1 && (sig < 1 || sig > SIGRTMAX))
    __builtin_trap ();
  free (name);
  return 0;
}
