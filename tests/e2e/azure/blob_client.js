#!/usr/bin/env node
// An independent reader for the azure-blob tests, on the official @azure/storage-blob SDK (not on cortexd's code).
//   node blob_client.js dump   CONNECTION_STRING CONTAINER [PREFIX]  -> {"name": "<base64>", ...}
//   node blob_client.js list   CONNECTION_STRING CONTAINER [PREFIX]  -> ["name", ...]
//   node blob_client.js create CONNECTION_STRING CONTAINER
//   node blob_client.js delete-container CONNECTION_STRING CONTAINER
//   node blob_client.js sas    CONNECTION_STRING CONTAINER          -> a container URL with a SAS (1 hour)
"use strict";
const path = require("path");

function loadSdk() {
  try {
    return require("@azure/storage-blob");
  } catch (e) {
    // Installed by tests/tools/install-azurite.sh into the repository's .tools/node.
    return require(path.join(__dirname, "..", "..", "..", ".tools", "node", "node_modules", "@azure", "storage-blob"));
  }
}

async function main() {
  const [command, connectionString, containerName, prefix] = process.argv.slice(2);
  if (!command || !connectionString || !containerName) {
    throw new Error("usage: blob_client.js dump|list|create|delete-container|sas CONNECTION_STRING CONTAINER [PREFIX]");
  }
  const sdk = loadSdk();
  const service = sdk.BlobServiceClient.fromConnectionString(connectionString);
  const container = service.getContainerClient(containerName);
  if (command === "create") {
    await container.createIfNotExists();
    return;
  }
  if (command === "delete-container") {
    await container.deleteIfExists();
    return;
  }
  if (command === "sas") {
    const url = await container.generateSasUrl({
      permissions: sdk.ContainerSASPermissions.parse("racwdl"),
      expiresOn: new Date(Date.now() + 3600 * 1000),
    });
    process.stdout.write(url + "\n");
    return;
  }
  const options = prefix ? { prefix } : {};
  if (command === "list") {
    const names = [];
    for await (const blob of container.listBlobsFlat(options)) names.push(blob.name);
    process.stdout.write(JSON.stringify(names.sort()) + "\n");
    return;
  }
  if (command === "dump") {
    const out = {};
    for await (const blob of container.listBlobsFlat(options)) {
      const data = await container.getBlobClient(blob.name).downloadToBuffer();
      out[blob.name] = data.toString("base64");
    }
    process.stdout.write(JSON.stringify(out) + "\n");
    return;
  }
  throw new Error(`unknown command ${command}`);
}

main().catch((e) => {
  process.stderr.write(`blob_client.js: ${e.message}\n`);
  process.exit(1);
});
