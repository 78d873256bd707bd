#!/bin/sh
# The transfers of test_interop_transfers.sh (curl from synack serve,
# synack get from python3 http.server, synack send to socat, socat to
# synack recv) with synack's own impairment on its TAP link: 5% loss and
# 2% reordering in each direction. Every byte still arrives, synack did
# retransmit, and tshark counts the same retransmissions synack counted.
exec "$(dirname "$0")/test_interop_transfers.sh" "$1" "${2:-full}" impaired
