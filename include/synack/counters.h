/*
 * counters.h - the stack's counters and the reasons it drops packets.
 *
 * Both lists are X-macros: one line per item generates the enum, the name
 * table and the storage, so a counter or a drop reason cannot exist without
 * a name. Counter names follow Linux's SNMP MIB names (what `nstat` prints),
 * so a user can compare a synack run with a kernel run; counters Linux does
 * not have use the same style with an `Sn` prefix.
 */
#ifndef SYNACK_COUNTERS_H
#define SYNACK_COUNTERS_H

#include <stdint.h>

/* X(name, description) */
#define SN_COUNTERS(X)                                                        \
  X(EthInFrames, "Ethernet frames received")                                  \
  X(EthOutFrames, "Ethernet frames handed to a link")                         \
  X(SnLinkTxErrors, "frames a link refused to transmit")                      \
  X(SnPbufAllocFails, "packet buffer allocations that failed")                \
  X(ArpInRequests, "ARP requests received")                                   \
  X(ArpInReplies, "ARP replies received")                                     \
  X(ArpInGratuitous, "gratuitous ARP packets received")                       \
  X(ArpOutRequests, "ARP requests sent")                                      \
  X(ArpOutReplies, "ARP replies sent")                                        \
  X(ArpOutGratuitous, "gratuitous ARP announcements sent")                    \
  X(ArpCacheAdds, "entries added to the ARP cache")                           \
  X(ArpCacheExpired, "ARP cache entries that expired")                        \
  X(ArpQueued, "packets queued waiting for address resolution")               \
  X(ArpQueueDrops, "packets dropped because the resolution queue was full")   \
  X(ArpResolveFailed, "address resolutions that failed")                      \
  X(IpInReceives, "IPv4 packets received")                                    \
  X(IpInHdrErrors, "IPv4 packets with a bad header")                          \
  X(IpExtInCsumErrors, "IPv4 packets with a bad header checksum")             \
  X(IpInAddrErrors, "IPv4 packets not addressed to this host")                \
  X(IpInUnknownProtos, "IPv4 packets for an unknown protocol")                \
  X(IpInDiscards, "IPv4 packets discarded for lack of resources")             \
  X(IpInDelivers, "IPv4 packets delivered to a protocol")                     \
  X(IpOutRequests, "IPv4 packets sent by local protocols")                    \
  X(IpOutDiscards, "IPv4 packets discarded on output")                        \
  X(IpOutNoRoutes, "IPv4 packets with no route")                              \
  X(IpReasmTimeout, "reassemblies abandoned on timeout")                      \
  X(IpReasmReqds, "fragments received for reassembly")                        \
  X(IpReasmOKs, "datagrams reassembled")                                      \
  X(IpReasmFails, "reassembly failures")                                      \
  X(IpFragOKs, "datagrams fragmented on output")                              \
  X(IpFragFails, "datagrams that needed fragmenting but had DF set")          \
  X(IpFragCreates, "fragments created on output")                             \
  X(SnLoopbackPackets, "packets looped back to this host")                    \
  X(IcmpInMsgs, "ICMP messages received")                                     \
  X(IcmpInErrors, "ICMP messages received with errors")                       \
  X(IcmpInCsumErrors, "ICMP messages with a bad checksum")                    \
  X(IcmpInDestUnreachs, "ICMP destination unreachable received")              \
  X(IcmpInEchos, "ICMP echo requests received")                               \
  X(IcmpInEchoReps, "ICMP echo replies received")                             \
  X(IcmpOutMsgs, "ICMP messages sent")                                        \
  X(IcmpOutDestUnreachs, "ICMP destination unreachable sent")                 \
  X(IcmpOutEchos, "ICMP echo requests sent")                                  \
  X(IcmpOutEchoReps, "ICMP echo replies sent")                                \
  X(IcmpOutRateLimitGlobal, "ICMP errors suppressed by the rate limit")       \
  X(UdpInDatagrams, "UDP datagrams delivered to sockets")                     \
  X(UdpNoPorts, "UDP datagrams to a port with no socket")                     \
  X(UdpInErrors, "UDP datagrams received with errors")                        \
  X(UdpInCsumErrors, "UDP datagrams with a bad checksum")                     \
  X(UdpRcvbufErrors, "UDP datagrams dropped: receive buffer full")            \
  X(UdpOutDatagrams, "UDP datagrams sent")                                    \
  X(UdpSndbufErrors, "UDP datagrams not sent for lack of buffer")             \
  X(TcpActiveOpens, "connections opened by connect() (SYN-SENT entered)")   \
  X(TcpPassiveOpens, "connections opened from a listener (SYN-RECEIVED)")     \
  X(TcpAttemptFails, "opening connections that failed")                       \
  X(TcpEstabResets, "ESTABLISHED or CLOSE-WAIT connections reset")           \
  X(TcpCurrEstab, "connections now ESTABLISHED or CLOSE-WAIT")               \
  X(TcpInSegs, "TCP segments received")                                       \
  X(TcpOutSegs, "TCP segments sent")                                          \
  X(TcpRetransSegs, "TCP segments retransmitted")                             \
  X(TcpInErrs, "TCP segments received in error")                              \
  X(TcpInCsumErrors, "TCP segments with a bad checksum")                      \
  X(TcpOutRsts, "TCP segments sent with RST")                                 \
  X(TcpExtTCPTimeouts, "retransmission timeouts")                             \
  X(TcpExtTCPSynRetrans, "SYN and SYN-ACK retransmissions")                   \
  X(TcpExtTCPLossProbes, "tail loss probes sent (RFC 8985 TLP)")             \
  X(TcpExtTCPLossProbeRecovery, "losses a tail loss probe repaired")          \
  X(TcpExtDelayedACKs, "delayed ACKs sent when their timer fired")            \
  X(TcpExtTCPFastRetrans, "fast retransmissions")                             \
  X(TcpExtTCPRenoRecovery, "fast recoveries entered (no SACK)")               \
  X(TcpExtTCPSackRecovery, "fast recoveries entered (with SACK)")             \
  X(TcpExtTCPDSACKOldSent, "duplicate segments answered with a DSACK")        \
  X(TcpExtTCPOFOQueue, "out-of-order segments queued")                        \
  X(TcpExtTCPOFODrop, "out-of-order segments dropped: no room")               \
  X(TcpExtTCPRcvQDrop, "segments dropped: receive buffer full")               \
  X(TcpExtTCPChallengeACK, "RFC 5961 challenge ACKs sent")                    \
  X(TcpExtTCPSYNChallenge, "challenge ACKs sent for a SYN")                   \
  X(TcpExtTCPACKSkippedChallenge, "challenge ACKs suppressed by the limits")  \
  X(TcpExtPAWSEstab, "segments rejected by PAWS (RFC 7323)")                  \
  X(TcpExtPAWSTimewait, "segments to TIME-WAIT rejected by PAWS")             \
  X(TcpExtTCPACKSkippedTimeWait, "TIME-WAIT ACKs suppressed by the rate limit") \
  X(TcpExtTCPAbortOnData, "connections reset: data after close(), or SO_LINGER 0") \
  X(TcpExtTCPAbortOnClose, "connections reset: close() with unread data")    \
  X(TcpExtTCPAbortOnTimeout, "connections aborted: retransmissions exhausted")\
  X(TcpExtTCPKeepAliveTimeouts, "connections aborted: keepalive unanswered") \
  X(SnTcpKeepAliveProbes, "keepalive probes sent")                            \
  X(TcpExtTCPWinProbe, "zero-window probes sent")                             \
  X(TcpExtTCPToZeroWindowAdv, "times our advertised window fell to zero")     \
  X(TcpExtTCPFromZeroWindowAdv, "times it opened again from zero")            \
  X(TcpExtListenOverflows, "handshakes dropped: accept queue full")           \
  X(TcpExtListenDrops, "SYNs and handshakes a listener dropped")              \
  X(TcpExtSyncookiesSent, "SYN cookies sent")                                 \
  X(TcpExtSyncookiesRecv, "valid SYN cookies received")                       \
  X(TcpExtSyncookiesFailed, "invalid SYN cookies received")                   \
  X(TcpExtTW, "TIME-WAIT connections that ran their course")                  \
  X(TcpExtTCPTimeWaitOverflow, "TIME-WAIT records refused: table full")       \
  X(SnTcpTimeWaitReuse, "TIME-WAIT connections reused by a new connection")  \
  X(SnTcpTimeWaitRecords, "closed connections moved to compact TIME-WAIT records") \
  X(SnTcpAckPiggybacked, "owed ACKs that rode on the application's reply")

/* X(name, description): why a packet was dropped. */
#define SN_DROP_REASONS(X)                                                    \
  X(NONE, "not dropped")                                                      \
  X(NO_BUFFER, "packet buffer pool exhausted")                                \
  X(LINK_TX_FAILED, "the link refused the frame")                             \
  X(ETH_TRUNCATED, "frame shorter than an Ethernet header")                   \
  X(ETH_NOT_FOR_US, "destination MAC is neither ours nor broadcast")          \
  X(ETH_SRC_INVALID, "source MAC is broadcast or multicast")                  \
  X(ETH_UNKNOWN_TYPE, "EtherType not handled")                                \
  X(ARP_MALFORMED, "ARP packet truncated or not Ethernet/IPv4")               \
  X(ARP_BAD_SENDER, "ARP sender address is invalid")                          \
  X(ARP_NOT_FOR_US, "ARP request for another host's address")                 \
  X(ARP_QUEUE_FULL, "queue of packets awaiting resolution is full")           \
  X(ARP_CACHE_FULL, "ARP cache full")                                         \
  X(ARP_RESOLVE_FAILED, "address resolution failed")                          \
  X(IP_TRUNCATED, "shorter than an IPv4 header")                              \
  X(IP_BAD_VERSION, "IP version is not 4")                                    \
  X(IP_BAD_IHL, "IPv4 header length below 20 bytes or beyond the packet")     \
  X(IP_BAD_TOTAL_LENGTH, "IPv4 total length disagrees with the frame")        \
  X(IP_BAD_CHECKSUM, "IPv4 header checksum is wrong")                         \
  X(IP_BAD_SRC, "IPv4 source is broadcast, multicast or unspecified")         \
  X(IP_NOT_FOR_US, "IPv4 destination is not an address of this host")         \
  X(IP_UNKNOWN_PROTO, "no handler for this IP protocol")                      \
  X(IP_NO_ROUTE, "no route to the destination")                               \
  X(IP_FRAG_NEEDED, "packet exceeds the MTU and has DF set")                  \
  X(IP_FRAG_BAD_LENGTH, "fragment with MF set is not a multiple of 8 bytes")  \
  X(IP_FRAG_TOO_BIG, "fragments extend beyond 65535 bytes")                   \
  X(IP_FRAG_OVERLAP, "fragment overlaps received data: set discarded")        \
  X(IP_FRAG_DUPLICATE, "fragment repeats received data")                      \
  X(IP_FRAG_INCONSISTENT, "fragment disagrees with the datagram's end")       \
  X(IP_FRAG_TOO_MANY, "fragment set has too many holes")                      \
  X(IP_FRAG_NO_MEMORY, "reassembly memory limit reached")                     \
  X(IP_FRAG_TIMEOUT, "reassembly timed out")                                  \
  X(ICMP_TRUNCATED, "ICMP message truncated")                                 \
  X(ICMP_BAD_CHECKSUM, "ICMP checksum is wrong")                              \
  X(ICMP_IGNORED, "ICMP type not handled")                                    \
  X(ICMP_RATELIMIT, "ICMP error suppressed by the rate limit")                \
  X(UDP_TRUNCATED, "shorter than a UDP header")                               \
  X(UDP_BAD_LENGTH, "UDP length disagrees with the IP payload")               \
  X(UDP_BAD_CHECKSUM, "UDP checksum is wrong")                                \
  X(UDP_NO_PORT, "no UDP socket on the destination port")                     \
  X(UDP_RCVBUF_FULL, "UDP socket receive buffer full")                        \
  X(TCP_TRUNCATED, "shorter than a TCP header")                               \
  X(TCP_BAD_CHECKSUM, "TCP checksum is wrong")                                \
  X(TCP_BAD_OFFSET, "TCP data offset below 5 or beyond the segment")          \
  X(TCP_BAD_OPTION, "malformed TCP option")                                   \
  X(TCP_NO_SOCKET, "no TCP socket for the segment")                          \
  X(TCP_OUT_OF_WINDOW, "segment outside the receive window")                 \
  X(TCP_PAWS, "timestamp older than TS.Recent (RFC 7323 PAWS)")               \
  X(TCP_RST_INVALID, "RST outside the window or not acceptable")              \
  X(TCP_NO_ACK, "segment without ACK in a synchronized state")                \
  X(TCP_ACK_UNSENT, "ACK for data not yet sent")                             \
  X(TCP_ACK_OLD, "ACK older than the send window")                            \
  X(TCP_SYN_INVALID, "SYN not acceptable in this state")                      \
  X(TCP_LISTEN_OVERFLOW, "listener's accept queue is full")                   \
  X(TCP_SYN_QUEUE_FULL, "listener's SYN queue is full (no cookies)")          \
  X(TCP_COOKIE_INVALID, "ACK to a listener with an invalid SYN cookie")       \
  X(TCP_LISTEN_NOT_SYN, "segment to a listener that is not a SYN")            \
  X(TCP_OFO_FULL, "out-of-order queue full")                                  \
  X(TCP_RCVBUF_FULL, "receive buffer full")                                   \
  X(TCP_DATA_AFTER_CLOSE, "data after the receive side was shut")            \
  X(TCP_TIMEWAIT, "segment absorbed by TIME-WAIT")                            \
  X(TCP_SYN_SENT_INVALID, "unacceptable segment in SYN-SENT")

#define SN_ENUM_COUNTER_(name, desc) SN_CTR_##name,
enum sn_counter { SN_COUNTERS(SN_ENUM_COUNTER_) SN_CTR__COUNT };
#undef SN_ENUM_COUNTER_

#define SN_ENUM_DROP_(name, desc) SN_DROP_##name,
enum sn_drop_reason { SN_DROP_REASONS(SN_ENUM_DROP_) SN_DROP__COUNT };
#undef SN_ENUM_DROP_

/* Name ("IpInReceives") and one-line description of a counter; NULL if
 * out of range. */
const char *sn_counter_name(enum sn_counter c);
const char *sn_counter_desc(enum sn_counter c);

/* Name ("IP_BAD_CHECKSUM") and description of a drop reason; NULL if out of
 * range. */
const char *sn_drop_name(enum sn_drop_reason r);
const char *sn_drop_desc(enum sn_drop_reason r);

#endif
