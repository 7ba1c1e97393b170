//! Portcullis: an OAuth 2.0 authorization server.
//!
//! The code is layered one way: `http` parses the wire and renders answers,
//! `oauth` holds the protocol rules (no I/O), `store` persists. See
//! ARCHITECTURE.md in the shared docs for the reasoning.

pub mod app;
pub mod audit;
pub mod cli;
pub mod config;
pub mod crypto;
pub mod demo;
pub mod http;
pub mod keys;
pub mod limits;
pub mod metrics;
pub mod oauth;
pub mod store;
pub mod time;
