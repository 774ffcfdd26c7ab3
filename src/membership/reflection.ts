/**
 * gRPC server reflection for the client API, so tools (buf curl, grpcurl, Postman) can call it
 * without the .proto files. @grpc/reflection takes a proto-loader package definition, but only
 * reads the encoded FileDescriptorProtos in it; we hand it the exact descriptors protobuf-es
 * generated (dependencies included) instead of proto-loader's, which are wrong for maps and file
 * names (STACK.md).
 */
import { toBinary } from "@bufbuild/protobuf";
import type { DescFile } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, type FileDescriptorProto } from "@bufbuild/protobuf/wkt";
import type { Server } from "@grpc/grpc-js";
import { ReflectionService } from "@grpc/reflection";

/** `files` and everything they import, each once, dependencies first. */
function withDependencies(files: readonly DescFile[]): FileDescriptorProto[] {
  const seen = new Set<string>();
  const out: FileDescriptorProto[] = [];
  const visit = (f: DescFile) => {
    if (seen.has(f.name)) return;
    seen.add(f.name);
    for (const d of f.dependencies) visit(d);
    out.push(f.proto);
  };
  for (const f of files) visit(f);
  return out;
}

/**
 * Adds the reflection service (v1 and v1alpha) to `server`, describing `services` (fully
 * qualified names) from `files` (generated file descriptors) and `extra` descriptors.
 */
export function addReflection(
  server: Server,
  services: readonly string[],
  files: readonly DescFile[],
  extra: readonly FileDescriptorProto[] = [],
): void {
  const protos = [...withDependencies(files), ...extra];
  const encoded = protos.map((p) => {
    const b = toBinary(FileDescriptorProtoSchema, p);
    return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  });
  // The shape @grpc/reflection reads: any object whose values carry `fileDescriptorProtos`.
  const pkg = { descriptors: { fileDescriptorProtos: encoded } };
  const reflection = new ReflectionService(pkg as unknown as ConstructorParameters<typeof ReflectionService>[0], {
    services: [...services],
  });
  reflection.addToServer(server);
}
