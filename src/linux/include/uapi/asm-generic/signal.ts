/** include/uapi/asm-generic/signal.h (x86 has the same numbers): the signals scenarios send. */
export const SIGINT = 2;
export const SIGKILL = 9;
export const SIGUSR1 = 10;
export const SIGTERM = 15;
