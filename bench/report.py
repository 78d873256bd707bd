#!/usr/bin/env python3
"""report.py RUNS.jsonl [--json OUT.json] - the benchmark table.

Reads the figure lines every benchmark program printed (bench/bench.h) and
prints one Markdown table: each synack figure next to its anchor measured
in the same run (median of the runs, with min and max), their ratio, and
the goal it is held to. OUT.json gets every raw run and every row.
"""
import json
import platform
import sys
import time


def load(path):
    figs = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                d = json.loads(line)
            except ValueError:
                continue
            figs[(d["figure"], d["impl"])] = d
    return figs


def median(v):
    s = sorted(v)
    return s[len(s) // 2] if s else None


def fmt(x, unit):
    if x is None:
        return "-"
    if unit in ("txn/s", "pairs", "bytes"):
        return f"{x:,.0f}"
    if abs(x) >= 100:
        return f"{x:.0f}"
    return f"{x:.2f}"


def cell(d):
    if not d:
        return "not measured"
    runs = d["runs"]
    m = median(runs)
    text = f"{fmt(m, d['unit'])} {d['unit']}"
    if len(runs) > 1:
        text += f" [{fmt(min(runs), d['unit'])}-{fmt(max(runs), d['unit'])}]"
    if d.get("completed") and not all(d["completed"]):
        text += f" ({sum(d['completed'])}/{len(runs)} completed)"
    return text


# (label, synack figure, anchor: (figure, impl) or a number, goal, note)
# goal: (">=", x) or ("<=", x) on the ratio synack / anchor.
ROWS = [
    ("bulk, MTU 1500, vs lwIP", ("bulk_mtu1500", "synack"),
     ("bulk_mtu1500", "lwip"), (">=", 2.0), "goal: at least 2x lwIP"),
    ("bulk, MTU 1500, vs Linux", ("bulk_mtu1500", "synack"),
     ("bulk_mtu1500", "linux"), None, "the kernel over loopback, with GSO"),
    ("bulk, MTU 1500, vs memcpy", ("bulk_mtu1500", "synack"),
     ("bulk_mtu1500", "memcpy"), None, "physical ceiling; goal on the way: 20 Gbit/s"),
    ("bulk, MTU 9000", ("bulk_mtu9000", "synack"), None, None, ""),
    ("bulk, MTU 65535", ("bulk_mtu65535", "synack"), None, None, ""),
    ("1% loss vs own lossless", ("loss1_mtu1500", "synack"),
     ("bulk_mtu1500", "synack"), (">=", 0.5), "goal: at least 50% of lossless"),
    ("lwIP: 1% loss vs its lossless", ("loss1_mtu1500", "lwip"),
     ("bulk_mtu1500", "lwip"), None, "for comparison"),
    ("short connections vs lwIP", ("short_conn", "synack"),
     ("short_conn", "lwip"), (">=", 5.0), "goal: at least 5x lwIP (1024 PCBs)"),
    ("short connections vs Linux", ("short_conn", "synack"),
     ("short_conn", "linux"), (">=", 10.0), "goal: at least 10x Linux; on the way to 1,000,000/s"),
    ("memory per idle established endpoint", ("mem_established", "synack"),
     256, ("<=", 1.0), "goal: at most 256 bytes"),
    ("  vs lwIP", ("mem_established", "synack"), ("mem_established", "lwip"), None, ""),
    ("  vs Linux", ("mem_established", "synack"), ("mem_established", "linux"), None, ""),
    ("memory per TIME-WAIT connection", ("mem_timewait", "synack"),
     64, ("<=", 1.0), "goal: at most 64 bytes"),
    ("  vs lwIP", ("mem_timewait", "synack"), ("mem_timewait", "lwip"), None, ""),
    ("  vs Linux", ("mem_timewait", "synack"), ("mem_timewait", "linux"), None, ""),
    ("memory per SYN-RECEIVED request", ("mem_synrecv", "synack"), None, None, ""),
    ("  vs lwIP", ("mem_synrecv", "synack"), ("mem_synrecv", "lwip"), None, ""),
    ("  vs Linux", ("mem_synrecv", "synack"), ("mem_synrecv", "linux"), None, ""),
    ("concurrent established pairs", ("max_established", "synack"),
     1000000, (">=", 1.0), "goal: 1,000,000 pairs"),
    ("timers at 10^5 vs 10^3", ("timers_1e5", "synack"),
     ("timers_1e3", "synack"), ("<=", 2.0), "flat within 2x"),
    ("timers at 10^6 vs 10^3", ("timers_1e6", "synack"),
     ("timers_1e3", "synack"), ("<=", 2.0), "flat within 2x"),
    ("keepalive at 10^5 vs 10^3", ("keepalive_1e5", "synack"),
     ("keepalive_1e3", "synack"), ("<=", 2.0), "flat within 2x"),
    ("keepalive at the maximum vs 10^3", ("keepalive_max", "synack"),
     ("keepalive_1e3", "synack"), ("<=", 2.0), "flat within 2x"),
    ("over TAP: synack serving curl", ("tap_curl_from_synack", "synack"),
     ("tap_ceiling", "tap"), (">=", 0.8), "goal: at least 80% of the TAP frame ceiling"),
    ("over TAP: synack downloading from Linux", ("tap_synack_from_linux", "synack"),
     ("tap_ceiling", "tap"), (">=", 0.8), "goal: at least 80% of the TAP frame ceiling"),
    ("  Linux to Linux over veth", ("veth_linux", "linux"), ("tap_ceiling", "tap"), None, "for comparison"),
]


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    figs = load(argv[1])
    out_json = None
    if "--json" in argv:
        out_json = argv[argv.index("--json") + 1]
    print("| figure | synack | anchor | ratio | goal | conditions |")
    print("|---|---|---|---|---|---|")
    rows = []
    for label, mine_key, anchor, goal, note in ROWS:
        mine = figs.get(mine_key)
        if not mine:
            continue
        m = median(mine["runs"])
        if isinstance(anchor, (int, float)):
            a_val, a_text = float(anchor), f"{fmt(anchor, mine['unit'])} {mine['unit']} (goal)"
        elif anchor:
            ad = figs.get(anchor)
            a_val = median(ad["runs"]) if ad else None
            a_text = (cell(ad) + f" ({anchor[1]})") if ad else f"not measured ({anchor[1]})"
        else:
            a_val, a_text = None, "-"
        ratio = m / a_val if (a_val and m is not None) else None
        verdict = ""
        if goal and ratio is not None:
            ok = ratio >= goal[1] if goal[0] == ">=" else ratio <= goal[1]
            verdict = "met" if ok else "missed"
        goal_text = f"{note} ({verdict})" if verdict else note
        cond = mine.get("conditions", "")
        if anchor and not isinstance(anchor, (int, float)) and figs.get(anchor):
            cond += "; anchor: " + figs[anchor].get("conditions", "")
        print(f"| {label} | {cell(mine)} | {a_text} | "
              f"{'-' if ratio is None else f'{ratio:.2f}x'} | {goal_text} | {cond} |")
        rows.append({"label": label, "synack": mine_key, "anchor": anchor,
                     "synack_median": m, "anchor_median": a_val,
                     "ratio": ratio, "goal": goal, "verdict": verdict})
    if out_json:
        with open(out_json, "w") as f:
            json.dump({"date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
                       "machine": platform.platform(),
                       "figures": list(figs.values()), "rows": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
