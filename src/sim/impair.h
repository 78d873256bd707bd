/*
 * impair.h (internal) - the impairment model of one direction of a link,
 * shared by the simulator's links (sim_link.c) and by the impairment
 * wrapper that puts the same faults on a real driver (runtime/impair.c).
 *
 * The model decides a frame's fate; it does not hold frames, count them
 * or trace them (its callers do, each in its own terms). Its steps, in
 * the order a caller must apply them so that the random draws happen in
 * a fixed sequence:
 *
 *   sn_impair_admit()      random loss, Gilbert-Elliott burst loss, then
 *                          the drop-tail queue in front of a rate-limited
 *                          wire; gives when the frame has left the sender
 *   sn_impair_corrupt()    one random bit flipped after the Ethernet
 *                          header (never in ARP, which has no checksum)
 *   sn_impair_duplicate()  whether a second copy follows the first
 *   sn_impair_arrival()    delay plus uniform jitter, clamped so frames
 *                          stay in order, unless the frame is held back
 *                          (reordered) and exempt from the clamp
 *
 * All draws come from the model's own generator, so a seed fixes every
 * frame's fate.
 */
#ifndef SN_SIM_IMPAIR_H
#define SN_SIM_IMPAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/rng.h"
#include "synack/sim.h"

#define SN_IMPAIR_DEFAULT_QUEUE_LIMIT 1000
#define SN_IMPAIR_DEFAULT_REORDER_NS 1000000ull /* 1 ms */

struct sn_impair {
  struct sn_sim_impair imp;      /* the impairments in force */
  struct sn_rng rng;             /* private to this direction */
  bool ge_bad;                   /* Gilbert-Elliott state: true = bad */
  uint64_t wire_free;            /* ns at which the wire finishes the last
                                    frame accepted (rate > 0) */
  uint64_t *waiting;             /* ring of start times (ns) of frames
                                    accepted but not yet on the wire */
  size_t wait_cap, wait_head, wait_n;
  uint64_t last_arrival;         /* latest in-order delivery time, ns */
};

/* What sn_impair_admit() decided. */
enum sn_impair_verdict {
  SN_IMPAIR_PASS = 0,  /* admitted */
  SN_IMPAIR_LOSS,      /* random loss */
  SN_IMPAIR_BURST,     /* Gilbert-Elliott burst loss */
  SN_IMPAIR_QUEUE,     /* queue full (drop-tail) */
};

/* Zero the model (no impairment) with a generator seeded from seed. */
void sn_impair_init(struct sn_impair *im, uint64_t seed);
/* Free the queue ring. */
void sn_impair_destroy(struct sn_impair *im);

/* Are all probabilities of imp within 0..1? */
bool sn_impair_valid(const struct sn_sim_impair *imp);

/* Does imp impair anything at all? */
bool sn_impair_active(const struct sn_sim_impair *imp);

/*
 * Loss, burst loss, then queue and rate for a frame of len bytes offered
 * at now. On SN_IMPAIR_PASS, *done is when its last bit has left the
 * sender (now when the rate is unlimited).
 */
enum sn_impair_verdict sn_impair_admit(struct sn_impair *im, uint64_t now,
                                       size_t len, uint64_t *done);

/*
 * Maybe flip one bit of the IP packet in frame (or of whatever follows the
 * 14-byte Ethernet header, never ARP). Returns true if a bit was flipped,
 * with its byte offset in the frame and bit number in *off and *bit.
 */
bool sn_impair_corrupt(struct sn_impair *im, uint8_t *frame, size_t len,
                       size_t *off, unsigned *bit);

/* Should this frame be delivered twice? */
bool sn_impair_duplicate(struct sn_impair *im);

/*
 * When the frame that left the sender at done arrives. *hold is set to
 * how long it is held back for reordering (0 if it is not).
 */
uint64_t sn_impair_arrival(struct sn_impair *im, uint64_t done,
                           uint64_t *hold);

#endif
