#!/usr/bin/python3
"""A non-Node client: watch a hyparview node's membership from Python with grpcio.

The stubs are generated from the repository's proto at start (grpc_tools.protoc into a temporary
folder), so nothing generated is committed for Python. On Debian:
    apt-get install python3-grpcio python3-grpc-tools
Run against a node's client API (default 127.0.0.1:4501):
    /usr/bin/python3 examples/python/watch.py [host:port] [--max-events N]
Prints one line per message: the snapshot, then each peer up / down with its reason.
"""
import argparse
import os
import sys
import tempfile

import grpc
from grpc_tools import protoc

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_ROOT = os.path.join(HERE, "..", "..", "proto")


def load_stubs():
    out = tempfile.mkdtemp(prefix="hyparview-py-")
    args = ["protoc", f"-I{PROTO_ROOT}", f"--python_out={out}", f"--grpc_python_out={out}",
            os.path.join(PROTO_ROOT, "hyparview", "v1", "membership.proto")]
    if protoc.main(args) != 0:
        sys.exit("watch.py: could not generate the Python stubs from proto/")
    sys.path.insert(0, out)
    from hyparview.v1 import membership_pb2, membership_pb2_grpc  # noqa: E402 (generated above)
    return membership_pb2, membership_pb2_grpc


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("api", nargs="?", default=os.environ.get("HYPARVIEW_API", "127.0.0.1:4501"))
    parser.add_argument("--max-events", type=int, default=0, help="stop after N messages (0: never)")
    args = parser.parse_args()
    pb, pb_grpc = load_stubs()
    reasons = {v.number: v.name.replace("PEER_DOWN_REASON_", "").lower()
               for v in pb.DESCRIPTOR.enum_types_by_name["PeerDownReason"].values}
    with grpc.insecure_channel(args.api) as channel:
        stub = pb_grpc.MembershipServiceStub(channel)
        seen = 0
        try:
            for msg in stub.WatchMembership(pb.WatchMembershipRequest()):
                kind = msg.WhichOneof("event")
                if kind == "snapshot":
                    s = msg.snapshot
                    active = ", ".join(p.id for p in s.active) or "(none)"
                    print(f"rev {msg.revision} snapshot {s.self.id} {s.self.address}; active: {active}", flush=True)
                elif kind == "peer_up":
                    print(f"rev {msg.revision} up {msg.peer_up.peer.id} {msg.peer_up.peer.address}", flush=True)
                elif kind == "peer_down":
                    d = msg.peer_down
                    print(f"rev {msg.revision} down {d.peer.id} ({reasons.get(d.reason, d.reason)})", flush=True)
                seen += 1
                if args.max_events and seen >= args.max_events:
                    return 0
        except grpc.RpcError as e:
            print(f"watch.py: {e.code().name}: {e.details()} (api {args.api})", file=sys.stderr)
            return 1
    return 1


if __name__ == "__main__":
    sys.exit(main())
