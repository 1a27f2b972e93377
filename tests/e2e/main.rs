//! End-to-end tests on the real stack: the backend with real namespace sandboxes running dockerd,
//! the local registry, and the HTTP + WebSocket API a browser uses. Needs root and the images
//! built by `muelle images build` (scripts/test.sh does both); it fails, never skips, without them.

mod skeleton;
mod multinode;
mod support;
mod abuse;
mod escape;
mod restart;
mod capacity;
mod classroom;
mod pool;
mod playground;
mod lessons;
mod security_http;
mod security_sandbox;
mod security_net;
mod security_ports;
mod security_registry;
mod images_catalog;
mod node_view;
mod templates;
mod ssh;
