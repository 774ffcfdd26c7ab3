/**
 * A small generic adapter from protobuf-es v2 service descriptors (the `GenService` constants in
 * gen/) to grpc-js. No npm package does this (see STACK.md), and it is all grpc-js needs: a method
 * path, two stream flags, a serializer and a deserializer per method.
 *
 * Decoding a request never throws inside grpc-js: grpc-js would answer INTERNAL. Instead the
 * deserializer returns a `DecodeFailure` marker, and the wrapped handler ends the call with
 * INVALID_ARGUMENT before the service implementation ever sees it (the caller sent bad bytes, the
 * server is fine). Responses that fail to decode surface on the client as grpc-js reports them:
 * an INTERNAL error whose details start with "Response message parsing error"
 * (`isResponseDecodeError`).
 */
import * as grpc from "@grpc/grpc-js";
import {
  create,
  fromBinary,
  toBinary,
  type DescMessage,
  type DescMethod,
  type MessageInitShape,
  type MessageShape,
} from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";

/** Bytes that did not decode as the method's request message. */
export class DecodeFailure {
  constructor(
    readonly typeName: string,
    readonly error: string,
  ) {}
}

/** Called when a request does not decode, just before the call ends with INVALID_ARGUMENT. */
export type DecodeErrorHook = (method: DescMethod, failure: DecodeFailure, call: object) => void;

export interface ServiceDefinitionOptions {
  /** Observe requests that did not decode (to count or log them). */
  readonly onDecodeError?: DecodeErrorHook;
}

type AnyGenService = GenService<GenServiceMethods>;
type ShapeOf<S> = S extends GenService<infer M> ? M : never;
type In<M> = M extends { input: infer I extends DescMessage } ? I : never;
type Out<M> = M extends { output: infer O extends DescMessage } ? O : never;

/** The handler a service implementation provides for one method, by its kind. Responses may be
 * given as full messages or as init objects (`create` is applied). */
export type MethodHandler<M> = M extends { methodKind: "unary" }
  ? grpc.handleUnaryCall<MessageShape<In<M>>, MessageInitShape<Out<M>>>
  : M extends { methodKind: "server_streaming" }
    ? grpc.handleServerStreamingCall<MessageShape<In<M>>, MessageInitShape<Out<M>>>
    : M extends { methodKind: "client_streaming" }
      ? grpc.handleClientStreamingCall<MessageShape<In<M>>, MessageInitShape<Out<M>>>
      : grpc.handleBidiStreamingCall<MessageShape<In<M>>, MessageInitShape<Out<M>>>;

/** An implementation of a service: one handler per method, keyed by the method's `localName`
 * (the generated key, e.g. `watchMembership`). */
export type ServiceImplementation<S extends AnyGenService> = {
  [K in keyof ShapeOf<S>]: MethodHandler<ShapeOf<S>[K]>;
};

/** Typed client method for one RPC, by its kind (the grpc-js calling conventions). */
export type ClientMethod<M> = M extends { methodKind: "unary" }
  ? UnaryClientMethod<MessageInitShape<In<M>>, MessageShape<Out<M>>>
  : M extends { methodKind: "server_streaming" }
    ? (
        request: MessageInitShape<In<M>>,
        metadata?: grpc.Metadata,
        options?: Partial<grpc.CallOptions>,
      ) => grpc.ClientReadableStream<MessageShape<Out<M>>>
    : M extends { methodKind: "client_streaming" }
      ? ClientStreamingClientMethod<MessageInitShape<In<M>>, MessageShape<Out<M>>>
      : (
          metadata?: grpc.Metadata,
          options?: Partial<grpc.CallOptions>,
        ) => grpc.ClientDuplexStream<MessageInitShape<In<M>>, MessageShape<Out<M>>>;

export interface UnaryClientMethod<Req, Res> {
  (request: Req, callback: grpc.requestCallback<Res>): grpc.ClientUnaryCall;
  (request: Req, metadata: grpc.Metadata, callback: grpc.requestCallback<Res>): grpc.ClientUnaryCall;
  (
    request: Req,
    metadata: grpc.Metadata,
    options: Partial<grpc.CallOptions>,
    callback: grpc.requestCallback<Res>,
  ): grpc.ClientUnaryCall;
  (request: Req, options: Partial<grpc.CallOptions>, callback: grpc.requestCallback<Res>): grpc.ClientUnaryCall;
}

export interface ClientStreamingClientMethod<Req, Res> {
  (callback: grpc.requestCallback<Res>): grpc.ClientWritableStream<Req>;
  (metadata: grpc.Metadata, callback: grpc.requestCallback<Res>): grpc.ClientWritableStream<Req>;
  (
    metadata: grpc.Metadata,
    options: Partial<grpc.CallOptions>,
    callback: grpc.requestCallback<Res>,
  ): grpc.ClientWritableStream<Req>;
  (options: Partial<grpc.CallOptions>, callback: grpc.requestCallback<Res>): grpc.ClientWritableStream<Req>;
}

/** A grpc-js client for service `S`: one method per RPC, keyed by `localName`, plus the
 * `grpc.Client` methods (`close`, `waitForReady`, `getChannel`). */
export type ServiceClient<S extends AnyGenService> = grpc.Client & {
  [K in keyof ShapeOf<S>]: ClientMethod<ShapeOf<S>[K]>;
};

/** The gRPC path of a method: `/${service.typeName}/${method.name}`. */
export function methodPath(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}

function serializer<D extends DescMessage>(schema: D): (value: MessageInitShape<D>) => Buffer {
  return (value) => {
    const b = toBinary(schema, create(schema, value));
    // grpc-js needs a Buffer, not the Uint8Array toBinary returns (STACK.md).
    return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  };
}

/** Request deserializer: never throws (see the file comment). */
function requestDeserializer<D extends DescMessage>(schema: D): (bytes: Buffer) => MessageShape<D> | DecodeFailure {
  return (bytes) => {
    try {
      return fromBinary(schema, bytes);
    } catch (e) {
      return new DecodeFailure(schema.typeName, e instanceof Error ? e.message : String(e));
    }
  };
}

/** Response deserializer: throws, and grpc-js turns that into an INTERNAL error on the call. */
function responseDeserializer<D extends DescMessage>(schema: D): (bytes: Buffer) => MessageShape<D> {
  return (bytes) => fromBinary(schema, bytes);
}

function invalidArgument(failure: DecodeFailure): Partial<grpc.StatusObject> {
  return {
    code: grpc.status.INVALID_ARGUMENT,
    details: `undecodable ${failure.typeName}: ${failure.error}`,
  };
}

/**
 * For a streaming request: intercept what grpc-js pushes into the call's readable side, so a
 * DecodeFailure ends the call with INVALID_ARGUMENT and nothing after it is delivered.
 */
function guardStreamingRequests(
  method: DescMethod,
  call: grpc.ServerReadableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>,
  hook: DecodeErrorHook | undefined,
): void {
  const push = call.push.bind(call);
  let failed = false;
  call.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
    if (failed) return false;
    if (chunk instanceof DecodeFailure) {
      failed = true;
      hook?.(method, chunk, call);
      // grpc-js idiom: an 'error' event on a server stream sets the status and ends the call.
      call.emit("error", invalidArgument(chunk));
      return false;
    }
    return push(chunk, encoding);
  };
}

/** Wraps one handler so that undecodable requests never reach it. */
function guardHandler(method: DescMethod, impl: unknown, hook: DecodeErrorHook | undefined): grpc.UntypedHandleCall {
  switch (method.methodKind) {
    case "unary": {
      const h = impl as grpc.handleUnaryCall<unknown, unknown>;
      return ((call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        if (call.request instanceof DecodeFailure) {
          hook?.(method, call.request, call);
          cb(invalidArgument(call.request));
          return;
        }
        h(call, cb);
      }) as grpc.UntypedHandleCall;
    }
    case "server_streaming": {
      const h = impl as grpc.handleServerStreamingCall<unknown, unknown>;
      return ((call: grpc.ServerWritableStream<unknown, unknown>) => {
        if (call.request instanceof DecodeFailure) {
          hook?.(method, call.request, call);
          call.emit("error", invalidArgument(call.request));
          return;
        }
        h(call);
      }) as grpc.UntypedHandleCall;
    }
    case "client_streaming": {
      const h = impl as grpc.handleClientStreamingCall<unknown, unknown>;
      return ((call: grpc.ServerReadableStream<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        guardStreamingRequests(method, call, hook);
        h(call, cb);
      }) as grpc.UntypedHandleCall;
    }
    case "bidi_streaming": {
      const h = impl as grpc.handleBidiStreamingCall<unknown, unknown>;
      return ((call: grpc.ServerDuplexStream<unknown, unknown>) => {
        guardStreamingRequests(method, call, hook);
        h(call);
      }) as grpc.UntypedHandleCall;
    }
  }
}

function methodDefinition(method: DescMethod): grpc.MethodDefinition<unknown, unknown> {
  return {
    path: methodPath(method),
    requestStream: method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming",
    responseStream: method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming",
    requestSerialize: serializer(method.input) as (v: unknown) => Buffer,
    requestDeserialize: requestDeserializer(method.input),
    responseSerialize: serializer(method.output) as (v: unknown) => Buffer,
    responseDeserialize: responseDeserializer(method.output),
  };
}

/** The grpc-js service definition of `service`, keyed by each method's `localName`. */
export function serviceDefinition(service: AnyGenService): grpc.ServiceDefinition {
  const def: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const m of service.methods) def[m.localName] = methodDefinition(m);
  return def as grpc.ServiceDefinition;
}

/**
 * Registers `impl` for `service` on `server`, with undecodable requests answered
 * INVALID_ARGUMENT. Use this rather than `server.addService(serviceDefinition(s), impl)` (which
 * would hand the implementation a `DecodeFailure` instead of a request).
 */
export function addService<S extends AnyGenService>(
  server: grpc.Server,
  service: S,
  impl: ServiceImplementation<S>,
  options: ServiceDefinitionOptions = {},
): void {
  const guarded: grpc.UntypedServiceImplementation = {};
  const byName = impl as unknown as Record<string, unknown>;
  for (const m of service.methods) {
    const h = byName[m.localName];
    if (typeof h !== "function") throw new Error(`${service.typeName}: no handler for ${m.name}`);
    guarded[m.localName] = guardHandler(m, h, options.onDecodeError);
  }
  server.addService(serviceDefinition(service), guarded);
}

/** A grpc-js client for `service` at `address` ("host:port"). Defaults to insecure credentials. */
export function makeClient<S extends AnyGenService>(
  service: S,
  address: string,
  credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
  options: grpc.ClientOptions = {},
): ServiceClient<S> {
  const Ctor = grpc.makeGenericClientConstructor(serviceDefinition(service), service.typeName);
  return new Ctor(address, credentials, options) as unknown as ServiceClient<S>;
}

/** True for the error grpc-js reports when a response did not decode. */
export function isResponseDecodeError(err: unknown): boolean {
  const e = err as Partial<grpc.ServiceError> | null;
  return (
    e !== null &&
    typeof e === "object" &&
    e.code === grpc.status.INTERNAL &&
    typeof e.details === "string" &&
    e.details.startsWith("Response message parsing error")
  );
}

type UnaryKeys<S extends AnyGenService> = {
  [K in keyof ShapeOf<S>]: ShapeOf<S>[K] extends { methodKind: "unary" } ? K : never;
}[keyof ShapeOf<S>];

/** Promise form of a unary call: `await unaryCall(client, "getMembership", {})`. */
export function unaryCall<S extends AnyGenService, K extends UnaryKeys<S>>(
  client: ServiceClient<S>,
  method: K,
  request: MessageInitShape<In<ShapeOf<S>[K]>>,
  options: Partial<grpc.CallOptions> = {},
  metadata: grpc.Metadata = new grpc.Metadata(),
): Promise<MessageShape<Out<ShapeOf<S>[K]>>> {
  type Fn = (
    req: unknown,
    md: grpc.Metadata,
    opts: Partial<grpc.CallOptions>,
    cb: (err: grpc.ServiceError | null, res?: unknown) => void,
  ) => grpc.ClientUnaryCall;
  const fn = (client as unknown as Record<PropertyKey, Fn | undefined>)[method];
  if (typeof fn !== "function") return Promise.reject(new Error(`no unary method ${String(method)}`));
  return new Promise((resolve, reject) => {
    fn.call(client, request, metadata, options, (err, res) => {
      if (err) reject(err);
      else resolve(res as MessageShape<Out<ShapeOf<S>[K]>>);
    });
  });
}
