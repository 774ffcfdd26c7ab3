/**
 * One WatchMembership stream: the snapshot, then one message per change, written with grpc-js
 * back-pressure respected. Events the stream cannot take yet wait in a bounded buffer; a watcher
 * that falls further behind than that has its stream ended with RESOURCE_EXHAUSTED (it calls
 * again and gets a fresh snapshot), so a slow watcher never slows the node or the other watchers.
 */
import * as grpc from "@grpc/grpc-js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { WatchMembershipResponseSchema } from "../../gen/hyparview/v1/membership_pb.js";
import { toWatchResponse } from "./convert.js";
import type { MembershipEvent, MembershipListener, SubscribeOptions } from "./state.js";

type Response = MessageInitShape<typeof WatchMembershipResponseSchema>;

/** The part of a grpc-js server stream a watch uses (a fake one in unit tests). */
export interface WatchCall {
  write(message: Response): boolean;
  end(): void;
  emit(event: "error", status: Partial<grpc.StatusObject>): boolean;
  on(event: "drain" | "cancelled" | "close" | "finish" | "error", listener: (...args: unknown[]) => void): unknown;
  readonly cancelled: boolean;
}

/** Where a watch gets its events. */
export interface WatchSource {
  subscribe(listener: MembershipListener, options: SubscribeOptions): () => void;
}

export interface WatchOptions {
  readonly includePassive: boolean;
  /** Most events waiting for the stream before it is ended with RESOURCE_EXHAUSTED. */
  readonly bufferLimit: number;
  /** Told once when the watch ends, with why. */
  readonly onEnd?: (why: "cancelled" | "overflow" | "closed") => void;
}

export class Watch {
  private readonly queue: MembershipEvent[] = [];
  /** grpc-js said "stop writing" (write returned false): wait for 'drain'. */
  private blocked = false;
  private ended = false;
  private unsubscribe: () => void = () => {};

  constructor(
    private readonly call: WatchCall,
    private readonly options: WatchOptions,
  ) {}

  /** Subscribes with replay (snapshot first, in the same tick) and starts writing. */
  start(source: WatchSource): void {
    // Attach first: an 'error' with no listener would throw, and a client may go away at once.
    this.call.on("error", () => this.finish("cancelled"));
    this.call.on("cancelled", () => this.finish("cancelled"));
    this.call.on("close", () => this.finish("cancelled"));
    this.call.on("drain", () => {
      this.blocked = false;
      this.pump();
    });
    if (this.call.cancelled) return this.finish("cancelled");
    this.unsubscribe = source.subscribe((e) => this.push(e), { replay: true });
    if (this.ended) this.unsubscribe();
  }

  /** Ends the stream normally (the server is shutting down). */
  close(): void {
    if (this.ended) return;
    this.finish("closed");
    this.call.end();
  }

  /** Events waiting for the stream. */
  get buffered(): number {
    return this.queue.length;
  }

  private push(event: MembershipEvent): void {
    if (this.ended) return;
    this.queue.push(event);
    if (this.queue.length > this.options.bufferLimit) return this.overflow();
    this.pump();
  }

  private pump(): void {
    while (!this.blocked && !this.ended && this.queue.length > 0) {
      const event = this.queue.shift()!;
      // write() takes the message even when it returns false; false means "wait for drain".
      if (!this.call.write(toWatchResponse(event, this.options.includePassive))) this.blocked = true;
    }
  }

  private overflow(): void {
    this.finish("overflow");
    // The status goes out after what grpc-js already holds; nothing more is queued here.
    this.call.emit("error", {
      code: grpc.status.RESOURCE_EXHAUSTED,
      details: `watcher fell more than ${this.options.bufferLimit} events behind; watch again for a fresh snapshot`,
    });
  }

  private finish(why: "cancelled" | "overflow" | "closed"): void {
    if (this.ended) return;
    this.ended = true;
    this.queue.length = 0;
    this.unsubscribe();
    this.options.onEnd?.(why);
  }
}
