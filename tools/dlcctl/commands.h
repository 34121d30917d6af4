/*
 * dlcctl_commands: the commands of dlcctl (list, describe, call, health,
 * login), one table row each with its help text. A command gets the
 * arguments after its name and returns the process's exit code (see
 * session.h); main.c owns the global options and the session.
 */
#ifndef DLCCTL_COMMANDS_H
#define DLCCTL_COMMANDS_H

#include "tools/dlcctl/session.h"

#include <stdbool.h>

typedef struct {
    const char *name;
    const char *summary; /* one line, for the overview */
    const char *help;    /* full text: usage, output, exit codes */
    bool needs_core;     /* main opens the session first */
    int (*run)(dlcctl_session *s, int argc, char **argv);
} dlcctl_command;

extern const dlcctl_command dlcctl_commands[];
extern const size_t dlcctl_command_count;

/* The command named name, or NULL. */
const dlcctl_command *dlcctl_command_find(const char *name);

#endif
