/** grpc-js adapter for the protobuf-es services in gen/: the only place that bridges the two. */
export {
  DecodeFailure,
  addService,
  isResponseDecodeError,
  makeClient,
  methodPath,
  serviceDefinition,
  unaryCall,
  type ClientMethod,
  type DecodeErrorHook,
  type MethodHandler,
  type ServiceClient,
  type ServiceDefinitionOptions,
  type ServiceImplementation,
} from "./adapter.js";
