#!/usr/bin/env bash
# Installs the Google Cloud CLI (Debian package google-cloud-cli) from Google's apt repository,
# as Google documents for Debian and Ubuntu, when no gcloud is on PATH. The tests run every
# command the deploy plans through gcloud's own parser, and Google's Firestore emulator comes
# with it. Run by `make setup`; as root directly, otherwise through sudo.
set -euo pipefail

if command -v gcloud >/dev/null; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null; then
  sudo=(sudo)
else
  echo "error: gcloud is missing (the tests check the deploy's commands with its parser) and" \
    "installing it needs root or sudo; see https://cloud.google.com/sdk/docs/install" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null; then
  echo "error: gcloud is missing and there is no apt-get here; install the Google Cloud CLI" \
    "as https://cloud.google.com/sdk/docs/install says, so that gcloud is on PATH" >&2
  exit 1
fi

keyring=/usr/share/keyrings/cloud.google.gpg
echo "installing Google's google-cloud-cli (the tests check the deploy's commands with gcloud)"
"${sudo[@]}" apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
  ca-certificates curl gnupg
curl -fsSL https://packages.cloud.google.com/apt/doc/apt-key.gpg \
  | "${sudo[@]}" gpg --dearmor --yes -o "$keyring"
echo "deb [signed-by=$keyring] https://packages.cloud.google.com/apt cloud-sdk main" \
  | "${sudo[@]}" tee /etc/apt/sources.list.d/google-cloud-sdk.list >/dev/null
"${sudo[@]}" apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
  google-cloud-cli
command -v gcloud >/dev/null || { echo "error: google-cloud-cli installed, but no gcloud" >&2; exit 1; }
