//! Integration tests over real HTTP: each area in its own module, each test
//! named for the rule it checks, run on SQLite and (when a PostgreSQL URL is
//! configured) on PostgreSQL.

#[macro_use]
mod common;

mod authorize;
mod bad_input;
mod cli;
mod introspect;
mod metadata;
mod pages;
mod refresh;
mod resources;
mod revoke;
mod seeds;
mod token;
