/*
 * main.c - the synack command: dispatch to subcommands.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "synack/synack.h"

static const struct cli_command commands[] = {
    {"demo", "two hosts on a simulated link: ARP, ping, UDP across loss", cmd_demo},
    {"ping", "ping between two simulated hosts", cmd_ping},
    {"transfer", "send N bytes over TCP across a simulated link and check them", cmd_transfer},
    {"pdrill", "run packetdrill scripts against synack on virtual time", cmd_pdrill},
    {"serve", "serve echo, discard, chargen or HTTP on a TAP or VXLAN link", cmd_serve},
    {"get", "HTTP GET a URL over a TAP or VXLAN link", cmd_get},
    {"send", "send a file over one TCP connection on a TAP or VXLAN link", cmd_send},
    {"recv", "receive one TCP connection's bytes into a file", cmd_recv},
    {"stat", "counters and connections of a running serve/get/send/recv", cmd_stat},
};

static void usage(FILE *out) {
  fprintf(out,
          "synack %s - a user-space TCP/IP stack you can watch\n\n"
          "usage: synack COMMAND [OPTIONS]\n"
          "       synack COMMAND --help\n"
          "       synack --version\n\n"
          "commands:\n",
          sn_version());
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf(out, "\nWith no command, synack runs the demo.\n");
}

int main(int argc, char **argv) {
  if (argc < 2)
    return cmd_demo(argc, argv);
  const char *cmd = argv[1];
  if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
    usage(stdout);
    return 0;
  }
  if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
    printf("synack %s\n", sn_version());
    return 0;
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (!strcmp(cmd, commands[i].name))
      return commands[i].run(argc - 1, argv + 1);
  fprintf(stderr, "synack: unknown command '%s'; accepted:", cmd);
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(stderr, " %s", commands[i].name);
  fprintf(stderr, " (see 'synack --help')\n");
  return CLI_EXIT_USAGE;
}
