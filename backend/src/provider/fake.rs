//! A provider for unit tests: "nodes" are plain `/bin/sh` processes on the host.
