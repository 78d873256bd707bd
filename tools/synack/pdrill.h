/*
 * pdrill.h - `synack pdrill`: an interpreter of the packetdrill script
 * language over one synack stack, on virtual time.
 *
 * A script is read in three passes: the lexer (pdrill_lex.c) cuts the text
 * into tokens, the parser (pdrill_parse.c) builds a list of timed events,
 * and the runner (pdrill_run.c) plays the events against a fresh stack:
 * it injects the `<` packets (pdrill_packet.c), waits for and checks the
 * `>` packets (pdrill_match.c), makes the system calls (pdrill_syscall.c),
 * applies the shell commands that set sysctls (pdrill_sysctl.c) and
 * evaluates the `tcpi_*` asserts of code blocks (pdrill_code.c). The
 * stack's link, its clock and the capture live in pdrill_net.c; the
 * script's view of each connection (ports, ISNs, timestamps) in
 * pdrill_conn.c; constant names in pdrill_sym.c; the run's settings
 * (--tolerance_usecs and the like) in pdrill_config.c; the command line
 * in cmd_pdrill.c.
 *
 * Times in scripts are microseconds (int64_t, "us"); the stack's are
 * nanoseconds (uint64_t, "ns").
 */
#ifndef SN_PDRILL_H
#define SN_PDRILL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "synack/synack.h"

struct sn_capture;

/* Lexer ------------------------------------------------------------------ */

enum pd_tok_kind {
  PD_TK_EOF,
  PD_TK_INT,      /* 12, -1, 0x1f */
  PD_TK_FLOAT,    /* 0.100, .1 */
  PD_TK_WORD,     /* [A-Za-z0-9_]+ that is not a number */
  PD_TK_STRING,   /* "text" */
  PD_TK_SHELL,    /* `command` */
  PD_TK_CODE,     /* %{ code }% */
  PD_TK_ELLIPSIS, /* ... */
  PD_TK_OPTION,   /* --name or --name=value */
  PD_TK_IPV4,     /* 192.0.2.1 */
  PD_TK_CHAR,     /* any other single character */
};

struct pd_token {
  enum pd_tok_kind kind;
  int line;         /* line where the token starts (1-based) */
  size_t start;     /* byte offset of its first character */
  size_t end;       /* byte offset just past it */
  int64_t ival;     /* PD_TK_INT: the value */
  int64_t usecs;    /* PD_TK_INT and PD_TK_FLOAT: the value as seconds
                       converted to microseconds, exactly */
  double fval;      /* PD_TK_INT and PD_TK_FLOAT: the value */
  char ch;          /* PD_TK_CHAR */
  char *text;       /* WORD, STRING, SHELL, CODE, OPTION (without the
                       dashes), IPV4: owned, NUL-terminated */
};

struct pd_tokens {
  struct pd_token *v;
  size_t n;
  const char *src;  /* the script text the offsets refer to */
};

/* Cut src into tokens (ending with PD_TK_EOF). Returns 0, or -1 with a
 * message naming the line in err. */
int pd_lex(const char *src, struct pd_tokens *out, char *err, size_t errlen);
void pd_tokens_free(struct pd_tokens *t);

/* Script tree --------------------------------------------------------------- */

enum pd_time_kind {
  PD_TIME_ABS,       /* T */
  PD_TIME_REL,       /* +T */
  PD_TIME_ANY,       /* * */
  PD_TIME_ABS_RANGE, /* T1~T2 */
  PD_TIME_REL_RANGE, /* +T1~+T2 */
};

struct pd_time {
  enum pd_time_kind kind;
  int64_t t;          /* us: the time, or the start of a range */
  int64_t t_end;      /* us: the end of a range */
  bool blocking;      /* written S...E */
  int64_t block_end;  /* us: E, on the same origin as S */
};

/* A system call argument. */
enum pd_expr_kind {
  PD_E_INT,      /* 42, 0x10 */
  PD_E_SYM,      /* SOCK_STREAM: resolved through pdrill_sym.c */
  PD_E_ELLIPSIS, /* ... : the harness fills it in */
  PD_E_STRING,   /* "text" */
  PD_E_OR,       /* a|b|c: items */
  PD_E_LIST,     /* [a, b]: items ([N] is an int by pointer) */
  PD_E_STRUCT,   /* {a, name=b}: items, each with its field name or NULL */
  PD_E_CALL,     /* name(args): items (htons(8080) and the like) */
};

struct pd_expr {
  enum pd_expr_kind kind;
  int64_t ival;           /* PD_E_INT */
  char *text;             /* SYM and CALL name, STRING contents */
  char *field;            /* in a struct or list: "events" of events=... */
  struct pd_expr **items; /* OR, LIST, STRUCT, CALL */
  int nitems;
};

struct pd_syscall {
  char *name;             /* "socket", "read", ... */
  struct pd_expr **args;
  int nargs;
  int64_t result;         /* the expected return value */
  char *errno_name;       /* "EINPROGRESS", or NULL when not written */
};

enum pd_opt_kind {
  PD_OPT_EOL, PD_OPT_NOP, PD_OPT_MSS, PD_OPT_WSCALE, PD_OPT_SACKOK,
  PD_OPT_SACK, PD_OPT_TS, PD_OPT_OTHER,
};

#define PD_MAX_SACK 4
#define PD_MAX_OPTS 20

/* One TCP option as the script writes it. */
struct pd_tcpopt {
  enum pd_opt_kind kind;
  uint32_t a, b;                    /* mss / wscale value; TS val, ecr */
  uint8_t nsack;
  uint32_t sack[PD_MAX_SACK][2];    /* SACK blocks [left, right) */
  const char *name;                 /* PD_OPT_OTHER: "md5", "FO", ... */
  uint8_t len;                      /* bytes on the wire */
};

enum pd_ecn { PD_ECN_ANY = -1, PD_ECN_NOT = 0, PD_ECN_ECT1 = 1,
              PD_ECN_ECT0 = 2, PD_ECN_CE = 3, PD_ECN_ECT01 = 4 };

enum pd_proto { PD_PROTO_TCP, PD_PROTO_ICMP, PD_PROTO_UDP };

/* TCP flags as written, with the header's bit values. */
#define PD_F_FIN 0x01
#define PD_F_SYN 0x02
#define PD_F_RST 0x04
#define PD_F_PSH 0x08
#define PD_F_ACK 0x10
#define PD_F_URG 0x20
#define PD_F_ECE 0x40
#define PD_F_CWR 0x80

struct pd_packet {
  char dir;                 /* '<' inbound, '>' outbound */
  enum pd_proto proto;
  int ecn;                  /* enum pd_ecn; PD_ECN_ANY: not written */
  int tos, ttl;             /* -1: not written */
  bool flowlabel;           /* (flowlabel ...) written: IPv6 only */
  bool has_ports;           /* sport>dport written */
  uint16_t sport, dport;
  uint8_t flags;            /* PD_F_* */
  bool accecn;              /* AE or an ACE digit: AccECN */
  uint32_t seq, end, len;   /* start:end(len) */
  bool has_ack, has_win, has_urg;
  uint32_t ack, win, urg;
  bool opts_any;            /* <...> */
  int nopts;                /* 0 with !opts_any: no options */
  struct pd_tcpopt opts[PD_MAX_OPTS];
  uint32_t optlen;          /* option bytes */
  /* ICMP */
  char icmp_type[24], icmp_code[24];
  uint32_t mtu;             /* frag_needed: next-hop MTU */
  bool has_quote;           /* [start:end(len)] of our segment */
  uint32_t qseq, qlen;
};

enum pd_event_kind { PD_EV_PACKET, PD_EV_SYSCALL, PD_EV_SHELL, PD_EV_CODE };

struct pd_event {
  int line;                 /* where the event starts */
  struct pd_time time;
  enum pd_event_kind kind;
  char *src;                /* the action as written, on one line */
  struct pd_packet pkt;     /* PD_EV_PACKET */
  struct pd_syscall call;   /* PD_EV_SYSCALL */
  char *text;               /* PD_EV_SHELL command, PD_EV_CODE code */
};

/* Settings a script can give (GRAMMAR §9), in pdrill_config.c. */
struct pd_config {
  int64_t tolerance_usecs;   /* fixed timing tolerance (4000) */
  double tolerance_percent;  /* proportional tolerance (12.5) */
  int64_t ts_tick_usecs;     /* 0: outbound TSval not checked */
  bool ts_ecr_scaled;        /* interpolate unknown inbound TS ecr */
  uint32_t mss;              /* --mss: inbound GSO size (0: unset) */
  uint32_t mtu;              /* the interface MTU (1500) */
  bool strict_segments;      /* no joining of outbound segments */
  uint16_t bind_port;        /* bind(...) port (8080) */
  uint16_t connect_port;     /* connect(...) port (8080) */
  char unsupported[160];     /* an option this runner cannot honour */
  int unsupported_line;
};

void pd_config_default(struct pd_config *c);
/* Apply "name" or "name=value" (without the dashes). Returns 0, or -1
 * with a message in err (a bad value). Options the runner does not
 * support are recorded in c->unsupported. */
int pd_config_option(struct pd_config *c, const char *opt, int line,
                     char *err, size_t errlen);

struct pd_script {
  const char *path;         /* as given (not owned) */
  struct pd_config cfg;     /* defaults plus the script's options */
  char *init_cmd;           /* backquoted command before the events */
  int init_line;
  char *cleanup_cmd;        /* backquoted command after them */
  int cleanup_line;
  struct pd_event *ev;
  int nev;
};

/*
 * Parse a script. Returns 0, or -1 with the offending line in *line and a
 * message in err. The script's options are applied over base.
 */
int pd_parse(const char *src, const char *path, const struct pd_config *base,
             struct pd_script *out, int *line, char *err, size_t errlen);
void pd_script_free(struct pd_script *s);

/* Symbols (pdrill_sym.c) ------------------------------------------------------ */

/* The value of a constant name (Linux's), or false if unknown. */
bool pd_sym_value(const char *name, int64_t *out);
/* The name of errno value e ("EPIPE"), or NULL. */
const char *pd_errno_name(int e);
/* Whether synack implements socket option level/name (Linux values). */
bool pd_sockopt_supported(int64_t level, int64_t name);
/* A name for a socket option, e.g. "SO_ZEROCOPY" (or "option 60"). */
const char *pd_sockopt_name(int64_t level, int64_t name, char *buf, size_t len);

/* Results ------------------------------------------------------------------ */

enum pd_verdict { PD_PASS, PD_FAIL, PD_SKIP };

struct pd_result {
  enum pd_verdict verdict;
  int line;            /* the event that failed or made it skip (0: none) */
  int64_t at_us;       /* virtual time of the failure (-1: none) */
  char msg[640];       /* what went wrong, or why it was skipped */
  char expected[512];  /* the script's line ("" if none) */
  char actual[512];    /* what the stack did, in the same syntax */
  char note[512];      /* more detail ("" if none) */
};

/* Shell commands and sysctls (pdrill_sysctl.c) -------------------------------- */

/* Knob values set_sysctls.py changed, for its restore command. */
#define PD_MAX_SAVED 32
struct pd_sysctl_state {
  int nsaved;
  char name[PD_MAX_SAVED][40];
  char value[PD_MAX_SAVED][64];
  bool gtests;         /* defaults.sh was run */
  char notes[1024];    /* what the profile could not model, for --verbose */
};

/* The configuration a script starts from: Linux's defaults with the
 * stock ("legacy") values packetdrill scripts without a setup command
 * expect. */
void pd_profile_base(struct sn_config *cfg);
/*
 * Apply a backquoted command to cfg. Returns 0, or -1 with the reason in
 * why when it cannot be honoured (the script is then skipped).
 */
int pd_shell_apply(const char *text, struct sn_config *cfg,
                   struct pd_sysctl_state *ss, char *why, size_t whylen);

/* The stack's link and clock (pdrill_net.c) ------------------------------------- */

/* One frame the stack sent. */
struct pd_frame {
  uint8_t *data;
  size_t len;
  uint64_t t_ns;       /* when the stack sent it */
  char why[96];        /* the stack's reason */
};

struct pd_net {
  struct sn_stack *st;
  int ifi;                      /* the stack's interface */
  uint32_t local_ip, remote_ip; /* host order */
  uint64_t now;                 /* ns: the stack's clock */
  struct pd_frame *q;           /* frames sent, in order */
  size_t nq, capq, next;        /* count, room, first not yet read */
  bool arp_due;                 /* the stack asked for the peer's MAC */
  uint16_t ip_id;               /* IP id of the next injected packet */
  uint64_t wake_ns;             /* a deadline of the harness's own (an
                                   outstanding poll()'s timeout), or
                                   SN_TIME_NEVER */
  unsigned same_steps;          /* polls at the current instant: a guard
                                   against a deadline polling never clears */
  struct sn_capture *cap;       /* --pcap, or NULL */
  int cap_if;                   /* capture interface of this script */
  void (*hook)(void *ctx);      /* run after each injection and poll */
  void *hook_ctx;
};

/* A stack with cfg on one interface of the given MTU, the peer's MAC
 * already known. Returns 0 or a negative errno. */
int pd_net_open(struct pd_net *n, const struct sn_config *cfg, uint32_t mtu,
                struct sn_capture *cap, const char *capname);
void pd_net_close(struct pd_net *n);
/* Deliver an Ethernet frame to the stack now; comment goes to the capture. */
void pd_net_input(struct pd_net *n, const uint8_t *frame, size_t len,
                  const char *comment);
/* Build an IPv4 packet (header + payload) from the peer in an Ethernet
 * frame; tos is the whole TOS byte. Returns the frame length. */
size_t pd_net_ip_frame(struct pd_net *n, uint8_t *buf, uint8_t proto,
                       uint8_t tos, uint8_t ttl, const uint8_t *payload,
                       size_t len);
/*
 * Run the stack forward: to its next deadline if that is at or before
 * limit, else to limit. Returns true when the clock reached limit.
 */
bool pd_net_step(struct pd_net *n, uint64_t limit);
/* Answer what the stack asked of the wire during a socket call (ARP). */
void pd_net_settle(struct pd_net *n);
/* Run the stack up to time t. */
void pd_net_advance(struct pd_net *n, uint64_t t);

/* Connections as the script sees them (pdrill_conn.c) --------------------------- */

enum pd_conn_kind {
  PD_CONN_NEW,     /* socket() made it */
  PD_CONN_ACTIVE,  /* connect(): the stack's port comes from its SYN */
  PD_CONN_LISTEN,  /* listen() */
  PD_CONN_CHILD,   /* made by an inbound SYN on a listener */
};

#define PD_MAX_TSMAP 64
struct pd_conn {
  enum pd_conn_kind kind;
  int live_sd;              /* the stack's socket (-1: none yet) */
  uint16_t lport, rport;    /* the stack's port and the peer's */
  bool lport_known;
  bool peer_port_taken;     /* listener: a child uses rport already */
  bool liss_known;          /* the stack's ISN was seen */
  uint32_t liss;            /* the stack's ISN (live) */
  uint32_t liss_script;     /* the seq written on that SYN */
  uint32_t riss;            /* the peer's ISN (as written) */
  bool riss_known;          /* set by the SYN (or SYN-ACK) that opened it */
  int nts;                  /* TS val mappings, oldest first */
  uint32_t ts_script[PD_MAX_TSMAP], ts_live[PD_MAX_TSMAP];
  bool ts_first;            /* the first mapping, for TSval checks */
  uint32_t ts_first_script, ts_first_live;
};

#define PD_MAX_CONNS 32
struct pd_conns {
  struct pd_conn v[PD_MAX_CONNS];
  int n;
  int cur;                  /* the connection under test */
  uint16_t next_port;       /* the peer's next ephemeral port */
};

void pd_conns_init(struct pd_conns *cs, uint16_t bind_port);
struct pd_conn *pd_conn_cur(struct pd_conns *cs);
/* A new connection under test (socket()); NULL if too many. */
struct pd_conn *pd_conn_new(struct pd_conns *cs, int live_sd, uint16_t lport);
/* An inbound SYN on a listener: the child becomes the one under test. */
struct pd_conn *pd_conn_child(struct pd_conns *cs);
struct pd_conn *pd_conn_by_sd(struct pd_conns *cs, int live_sd);
struct pd_conn *pd_conn_by_rport(struct pd_conns *cs, uint16_t rport);
/* Map the stack's sequence space: script -> live and back. */
uint32_t pd_lseq_live(const struct pd_conn *c, uint32_t script, bool syn);
uint32_t pd_lseq_script(const struct pd_conn *c, uint32_t live, bool syn);
/* The peer's sequence space. */
uint32_t pd_rseq_live(const struct pd_conn *c, uint32_t script);
uint32_t pd_rseq_script(const struct pd_conn *c, uint32_t live);
/* Timestamps: remember that the script's val was sent as live; find the
 * live value for a script value (false if none). */
void pd_ts_record(struct pd_conn *c, uint32_t script, uint32_t live);
bool pd_ts_live(const struct pd_conn *c, uint32_t script, bool scaled,
                uint32_t *live);
/* An outbound TSval in script space. */
uint32_t pd_ts_script(const struct pd_conn *c, uint32_t live);

/* Packets (pdrill_packet.c: inbound; pdrill_match.c: outbound) ------------------ */

struct pd_run;

/* Build and inject an inbound packet event. Returns 0, or -1 with a
 * message in r (a value that cannot be mapped). */
int pd_inbound(struct pd_run *run, const struct pd_event *ev);
/*
 * Wait for the outbound packet of ev (scheduled at sched_us, range end
 * end_us, tolerance tol_us; wait until deadline_ns at most) and check it.
 * Returns 0 or -1 (the failure is in run->res).
 */
int pd_outbound(struct pd_run *run, const struct pd_event *ev, int64_t sched_us,
                int64_t end_us, int64_t tol_us, uint64_t deadline_ns);
/* Write options in the script's order into p (at most 40 bytes), mapping
 * SACK edges with map (NULL: as written). Returns the length. */
size_t pd_opts_encode(const struct pd_packet *pkt, uint8_t *p,
                      uint32_t (*map)(const struct pd_conn *, uint32_t),
                      const struct pd_conn *c);

/* System calls (pdrill_syscall.c) --------------------------------------------- */

/* A system call in progress: a blocking call that has not returned yet,
 * or has and awaits checking. */
#define PD_MAX_POLLFDS 8
struct pd_pending {
  bool active;               /* a call is outstanding or unchecked */
  bool done;                 /* it returned */
  const struct pd_event *ev;
  int64_t start_us;          /* when it started */
  int64_t end_us;            /* when the script expects it to return */
  uint64_t done_ns;          /* when it returned */
  int64_t ret;               /* its result (-1 with err on failure) */
  int err;                   /* positive errno, 0 on success */
  /* What the call is doing. */
  int op;                    /* PD_OP_* of pdrill_syscall.c */
  int sd;                    /* live socket */
  int64_t want;              /* bytes to move */
  int64_t moved;             /* bytes moved so far */
  int flags;                 /* send/recv flags; socket(): non-blocking */
  uint64_t until_ns;         /* poll(): when its timeout ends */
  int npoll;                 /* poll(): entries */
  int poll_sd[PD_MAX_POLLFDS];         /* live socket (-1: not open) */
  int64_t poll_events[PD_MAX_POLLFDS]; /* events asked for */
  unsigned poll_got[PD_MAX_POLLFDS];   /* revents */
  /* getsockopt() and ioctl(): what came back. */
  int64_t val;               /* an integer value */
  uint8_t bytes[64];         /* a string or struct value */
  size_t vlen;               /* its length */
};

/*
 * Run a system call event that starts now; sched_us and end_us are its
 * start and (for S...E) expected return. Returns 0, 1 when the script
 * must be skipped (run->res says why), or -1 on a mismatch (run->res).
 */
int pd_syscall_run(struct pd_run *run, const struct pd_event *ev,
                   int64_t sched_us, int64_t end_us);
/* Retry an outstanding blocking call; called after each stack step. */
void pd_syscall_poll(struct pd_run *run);
/* Check a blocking call that has returned. Returns 0 or -1 (run->res). */
int pd_syscall_check_done(struct pd_run *run);
/* Static support check of a call: 0, or 1 with the reason in why. */
int pd_syscall_supported(const struct pd_syscall *c, char *why, size_t len);

/* Code blocks (pdrill_code.c) ------------------------------------------------- */

#define PD_MAX_ASSERTS 8
struct pd_assert {
  char field[40];      /* "tcpi_snd_cwnd" */
  char op[4];          /* "==", "!=", "<", "<=", ">", ">=" */
  int64_t value;
  char text[128];      /* the assert as written */
};

/* A code block's asserts and the snapshot taken when it ran. */
struct pd_snap {
  int line;
  int64_t at_us;
  int nasserts;
  struct pd_assert a[PD_MAX_ASSERTS];
  bool have_info;      /* the snapshot could be taken */
  char why[128];       /* why not */
  struct sn_tcp_info info;
};

/* Parse a code block into asserts. Returns 0, or 1 with the reason in why
 * when it is not the supported subset. */
int pd_code_parse(const char *code, struct pd_snap *out, char *why,
                  size_t len);
/* Evaluate the asserts of a snapshot. Returns 0, or -1 with the failing
 * assert described in r. */
int pd_code_eval(const struct pd_snap *s, struct pd_result *r);

/* The runner (pdrill_run.c) --------------------------------------------------- */

#define PD_MAX_FDS 64
struct pd_run {
  const struct pd_script *sc;
  const struct pd_config *cfg;   /* = &sc->cfg */
  struct pd_net net;
  struct pd_conns conns;
  int fd_script[PD_MAX_FDS];     /* script fd -> ... */
  int fd_live[PD_MAX_FDS];       /* ... live socket */
  bool fd_nonblock[PD_MAX_FDS];  /* O_NONBLOCK on that fd */
  int nfds;
  struct pd_pending pend;
  struct pd_snap *snaps;
  int nsnaps;
  struct pd_sysctl_state sys;
  struct pd_result *res;
  const struct pd_event *ev;     /* the event being run */
  bool failed;                   /* res holds a failure or skip */
  FILE *log;                     /* --verbose, or NULL */
};

/* Options of one invocation. */
struct pd_opts {
  bool verbose;
  struct sn_capture *cap;        /* --pcap */
};

/* Parse and run one script file; fill r. */
void pd_run_file(const char *path, const struct pd_opts *o,
                 struct pd_result *r);

/* Helpers shared by the runner's parts. */
int64_t pd_now_us(const struct pd_run *run);
/* Record a failure (verdict FAIL) of the current event at time at_us. */
void pd_fail(struct pd_run *run, int64_t at_us, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Record a skip of the current event. */
void pd_skip(struct pd_run *run, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Script fd <-> live socket. */
int pd_fd_live(const struct pd_run *run, int64_t script_fd);
void pd_fd_map(struct pd_run *run, int64_t script_fd, int live);
void pd_fd_unmap(struct pd_run *run, int64_t script_fd);
bool *pd_fd_nonblock(struct pd_run *run, int64_t script_fd);
/* Append printf text to a buffer, truncating. */
void pd_catf(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
