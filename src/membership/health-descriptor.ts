/**
 * The descriptor of grpc/health/v1/health.proto, for server reflection. grpc-health-check serves
 * the Health service from its bundled proto through proto-loader, whose descriptors are wrong for
 * maps and file names (STACK.md); strict reflection clients reject those. This is the canonical
 * file (as in grpc/grpc-proto), written as a FileDescriptorProto so it is exact.
 */
import { create } from "@bufbuild/protobuf";
import {
  FieldDescriptorProto_Label as Label,
  FieldDescriptorProto_Type as Type,
  FileDescriptorProtoSchema,
  type FileDescriptorProto,
} from "@bufbuild/protobuf/wkt";

const PKG = "grpc.health.v1";

export const HEALTH_SERVICE_NAME = `${PKG}.Health`;

export function healthFileDescriptor(): FileDescriptorProto {
  const optional = Label.OPTIONAL;
  return create(FileDescriptorProtoSchema, {
    name: "grpc/health/v1/health.proto",
    package: PKG,
    syntax: "proto3",
    options: {
      csharpNamespace: "Grpc.Health.V1",
      goPackage: "google.golang.org/grpc/health/grpc_health_v1",
      javaMultipleFiles: true,
      javaOuterClassname: "HealthProto",
      javaPackage: "io.grpc.health.v1",
    },
    messageType: [
      { name: "HealthListRequest" },
      {
        name: "HealthListResponse",
        field: [
          {
            name: "statuses",
            number: 1,
            label: Label.REPEATED,
            type: Type.MESSAGE,
            typeName: `.${PKG}.HealthListResponse.StatusesEntry`,
            jsonName: "statuses",
          },
        ],
        nestedType: [
          {
            name: "StatusesEntry",
            field: [
              { name: "key", number: 1, label: optional, type: Type.STRING, jsonName: "key" },
              {
                name: "value",
                number: 2,
                label: optional,
                type: Type.MESSAGE,
                typeName: `.${PKG}.HealthCheckResponse`,
                jsonName: "value",
              },
            ],
            options: { mapEntry: true },
          },
        ],
      },
      {
        name: "HealthCheckRequest",
        field: [{ name: "service", number: 1, label: optional, type: Type.STRING, jsonName: "service" }],
      },
      {
        name: "HealthCheckResponse",
        field: [
          {
            name: "status",
            number: 1,
            label: optional,
            type: Type.ENUM,
            typeName: `.${PKG}.HealthCheckResponse.ServingStatus`,
            jsonName: "status",
          },
        ],
        enumType: [
          {
            name: "ServingStatus",
            value: [
              { name: "UNKNOWN", number: 0 },
              { name: "SERVING", number: 1 },
              { name: "NOT_SERVING", number: 2 },
              { name: "SERVICE_UNKNOWN", number: 3 },
            ],
          },
        ],
      },
    ],
    service: [
      {
        name: "Health",
        method: [
          { name: "Check", inputType: `.${PKG}.HealthCheckRequest`, outputType: `.${PKG}.HealthCheckResponse` },
          {
            name: "Watch",
            inputType: `.${PKG}.HealthCheckRequest`,
            outputType: `.${PKG}.HealthCheckResponse`,
            serverStreaming: true,
          },
          { name: "List", inputType: `.${PKG}.HealthListRequest`, outputType: `.${PKG}.HealthListResponse` },
        ],
      },
    ],
  });
}
