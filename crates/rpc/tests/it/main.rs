//! Integration tests of `bursar-rpc`, one module per feature, all through
//! the crate's public API.

mod freeside_wire;
mod fuzz;
mod jsonrpc;
mod limits;
mod support;
mod xmlrpc_decode;
mod xmlrpc_encode;
