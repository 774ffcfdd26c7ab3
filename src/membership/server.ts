/**
 * The client API server: MembershipService (membership.proto; semantics in DESIGN.md "Public
 * contract"), grpc.health.v1 health, and server reflection, on one grpc-js server. It only
 * decodes, validates and hands requests to its `MembershipBackend` (the node); it owns no state
 * beyond its watch streams.
 */
import * as grpc from "@grpc/grpc-js";
import { HealthImplementation } from "grpc-health-check";
import type { Logger } from "pino";
import { MembershipService, file_hyparview_v1_membership } from "../../gen/hyparview/v1/membership_pb.js";
import { addService } from "../grpc/index.js";
import { checkContacts } from "./contacts.js";
import { toApiSnapshot } from "./convert.js";
import { HEALTH_SERVICE_NAME, healthFileDescriptor } from "./health-descriptor.js";
import { addReflection } from "./reflection.js";
import type { MembershipListener, MembershipSnapshot, SubscribeOptions } from "./state.js";
import { Watch } from "./watch.js";

/** What the API needs from the node. */
export interface MembershipBackend {
  /** "running" until a leave starts; Join is refused after that. */
  readonly phase: "running" | "leaving" | "left" | "closed";
  snapshot(): MembershipSnapshot;
  subscribe(listener: MembershipListener, options: SubscribeOptions): () => void;
  /** Starts joining through `contacts` (already validated). */
  join(contacts: readonly string[]): void;
  /** Leaves gracefully; resolves once every active peer has been told (idempotent). */
  leave(): Promise<void>;
}

export interface ApiServerOptions {
  /** "host:port" to bind; port 0 = ephemeral. */
  readonly listen: string;
  readonly backend: MembershipBackend;
  readonly logger: Logger;
  /** Events a watcher may fall behind before RESOURCE_EXHAUSTED. Default 1024. */
  readonly watchBufferLimit?: number;
}

export const DEFAULT_WATCH_BUFFER_LIMIT = 1024;

/** How long close() lets in-flight calls finish before cutting them, ms. */
const SHUTDOWN_GRACE_MS = 1000;

const MEMBERSHIP_SERVICE_NAME = MembershipService.typeName;

export interface ApiStats {
  watchers: number;
  watchesStarted: number;
  watchesOverflowed: number;
  invalidRequests: number;
}

export class ApiServer {
  private readonly server: grpc.Server;
  private readonly health: HealthImplementation;
  private readonly watches = new Set<Watch>();
  private readonly counters = { watchesStarted: 0, watchesOverflowed: 0, invalidRequests: 0 };
  private closing: Promise<void> | null = null;
  private port = 0;

  private constructor(private readonly o: ApiServerOptions) {
    this.server = new grpc.Server();
    this.health = new HealthImplementation({ "": "NOT_SERVING", [MEMBERSHIP_SERVICE_NAME]: "NOT_SERVING" });
    this.health.addToServer(this.server);
    this.addMembershipService();
    addReflection(
      this.server,
      [MEMBERSHIP_SERVICE_NAME, HEALTH_SERVICE_NAME],
      [file_hyparview_v1_membership],
      [healthFileDescriptor()],
    );
  }

  /** Binds `options.listen` and starts serving (health NOT_SERVING until `setServing(true)`). */
  static async start(options: ApiServerOptions): Promise<ApiServer> {
    const api = new ApiServer(options);
    api.port = await new Promise<number>((resolve, reject) => {
      api.server.bindAsync(options.listen, grpc.ServerCredentials.createInsecure(), (err, port) =>
        err ? reject(new Error(`apiListen: cannot bind ${options.listen}: ${err.message}`)) : resolve(port),
      );
    });
    return api;
  }

  /** The bound port. */
  get boundPort(): number {
    return this.port;
  }

  /** grpc.health.v1 status of the server ("") and of MembershipService. */
  setServing(serving: boolean): void {
    const status = serving ? "SERVING" : "NOT_SERVING";
    this.health.setStatus("", status);
    this.health.setStatus(MEMBERSHIP_SERVICE_NAME, status);
  }

  stats(): ApiStats {
    return { watchers: this.watches.size, ...this.counters };
  }

  /** Ends every watch normally and shuts the server down (in-flight calls get a short grace). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.setServing(false);
      for (const w of [...this.watches]) w.close();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.server.forceShutdown();
          resolve();
        }, SHUTDOWN_GRACE_MS);
        this.server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    })();
    return this.closing;
  }

  private addMembershipService(): void {
    const { backend, logger } = this.o;
    const limit = this.o.watchBufferLimit ?? DEFAULT_WATCH_BUFFER_LIMIT;
    addService(
      this.server,
      MembershipService,
      {
        watchMembership: (call) => {
          const peer = call.getPeer();
          const watch = new Watch(call, {
            includePassive: call.request.includePassive,
            bufferLimit: limit,
            onEnd: (why) => {
              this.watches.delete(watch);
              if (why === "overflow") {
                this.counters.watchesOverflowed++;
                logger.warn({ client: peer, bufferLimit: limit }, "watcher fell behind; its stream ended");
              } else {
                logger.debug({ client: peer, why }, "watch ended");
              }
            },
          });
          this.watches.add(watch);
          this.counters.watchesStarted++;
          logger.debug({ client: peer }, "watch started");
          watch.start(backend);
        },
        getMembership: (call, cb) => {
          const s = backend.snapshot();
          cb(null, { revision: BigInt(s.revision), snapshot: toApiSnapshot(s, call.request.includePassive) });
        },
        join: (call, cb) => {
          const contacts = call.request.contacts;
          const invalid = checkContacts(contacts, false);
          if (invalid !== null) {
            this.counters.invalidRequests++;
            return cb({ code: grpc.status.INVALID_ARGUMENT, details: `${invalid.field}: ${invalid.rule}` });
          }
          if (backend.phase !== "running") {
            return cb({ code: grpc.status.FAILED_PRECONDITION, details: `the node is ${backend.phase}` });
          }
          logger.info({ contacts, client: call.getPeer() }, "join requested over the API");
          backend.join(contacts);
          cb(null, {});
        },
        leave: (call, cb) => {
          if (backend.phase === "closed") {
            return cb({ code: grpc.status.FAILED_PRECONDITION, details: "the node is closed" });
          }
          logger.info({ client: call.getPeer() }, "leave requested over the API");
          backend.leave().then(
            () => cb(null, {}),
            (e: unknown) => cb({ code: grpc.status.INTERNAL, details: `leave failed: ${String(e)}` }),
          );
        },
      },
      {
        onDecodeError: (method, failure) => {
          this.counters.invalidRequests++;
          logger.debug({ method: method.name, error: failure.error }, "undecodable API request");
        },
      },
    );
  }
}
