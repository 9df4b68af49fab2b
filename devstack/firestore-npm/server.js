"use strict";
// Runs the npm Firestore emulator (@firestore-emulator/server) for tests and `make dev`.
//
//   node server.js PORT
//
// Listens on 127.0.0.1:PORT only, prints "ready PORT" once bound, stops cleanly on SIGTERM/SIGINT.
// Started and stopped by devstack/emulator.py; not meant to be used on its own.
//
// Two things differ from a plain `new FirestoreServer().start(port)`:
// - start() binds 0.0.0.0, which would expose an unauthenticated database to the network, so the
//   package's own gRPC server is bound to 127.0.0.1 instead.
// - The package applies the writes of a commit one by one and stops at the first failing
//   precondition, leaving the earlier writes of that commit applied. Real Firestore (and Google's
//   emulator) commit all or nothing, so exists-preconditions are checked for the whole commit first.

const path = require("node:path");

const PACKAGE = "@firestore-emulator/server";
const { FirestoreServer } = require(PACKAGE);
// The gRPC library the package itself uses (a pinned dependency of it, not of ours).
const grpc = require(
  require.resolve("@grpc/grpc-js", { paths: [path.dirname(require.resolve(PACKAGE))] }),
);

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error("usage: node server.js PORT");
  process.exit(2);
}

let emulator = null;

// Returns a gRPC error for the first write of the commit whose exists-precondition fails,
// taking the earlier writes of the same commit into account, or null if all hold.
function failedExistsPrecondition(writes) {
  const existsAfter = new Map();
  for (const write of writes) {
    let name;
    if (write.has_delete) {
      name = write.delete;
    } else if (write.has_update) {
      name = write.update.name;
    } else {
      continue;
    }
    if (write.has_current_document && write.current_document.has_exists) {
      const exists = existsAfter.has(name)
        ? existsAfter.get(name)
        : emulator.state.getDocument(name).metadata.hasExist;
      if (write.current_document.exists && !exists) {
        const message = `no entity to update: ${name}`;
        return { code: grpc.status.NOT_FOUND, details: message, message };
      }
      if (!write.current_document.exists && exists) {
        const message = `entity already exists: ${name}`;
        return { code: grpc.status.ALREADY_EXISTS, details: message, message };
      }
    }
    existsAfter.set(name, !write.has_delete);
  }
  return null;
}

// Wrap the Commit handler when the package registers its service on the gRPC server.
const addService = grpc.Server.prototype.addService;
grpc.Server.prototype.addService = function (service, implementation) {
  const commit = implementation.Commit;
  if (typeof commit === "function") {
    implementation.Commit = function (call, callback) {
      const error = failedExistsPrecondition(call.request.writes);
      if (error) {
        callback(error, null);
        return;
      }
      commit.call(this, call, callback);
    };
  }
  return addService.call(this, service, implementation);
};

emulator = new FirestoreServer();
const server = emulator.server;
if (!server || typeof server.bindAsync !== "function") {
  console.error(`${PACKAGE}: FirestoreServer has no gRPC server to bind; version changed?`);
  process.exit(1);
}

server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => {
  if (err) {
    console.error(`cannot listen on 127.0.0.1:${port}: ${err.message}`);
    process.exit(1);
  }
  console.log(`ready ${bound}`);
});

let stopping = false;
function stop(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: stopping`);
  emulator.stop();
  process.exit(0);
}
process.on("SIGTERM", () => stop("SIGTERM"));
process.on("SIGINT", () => stop("SIGINT"));
