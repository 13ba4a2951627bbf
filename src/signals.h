/* signals.h: signal names and numbers, as `kill` takes them. */
#ifndef URUN_SIGNALS_H
#define URUN_SIGNALS_H

/* "TERM", "SIGTERM", "15", "RTMIN+2" -> the number; -1 when unknown. */
int urun_parse_signal (const char *name);

#endif
