//! Integration tests over real HTTP: each area in its own module, each test
//! named for the rule it checks, run on SQLite and (when a PostgreSQL URL is
//! configured) on PostgreSQL.

#[macro_use]
mod common;

mod admin;
mod admin_oidc;
mod audit;
mod authorize;
mod authorize_requests;
mod backup;
mod bad_input;
mod brute_force;
mod cli;
mod client_management;
mod crash;
mod csrf;
mod dynamic_registration;
mod error_grammar;
mod headers;
mod introspect;
mod metadata;
mod metrics;
mod migrations;
mod multinode;
mod nginx;
mod oidc;
mod openapi;
mod pages;
mod postgres_outage;
mod races;
mod refresh;
mod registration_rules;
mod resource_indicators;
mod resources;
mod revoke;
mod seeds;
mod self_registered_clients;
mod slow_clients;
mod timing;
mod token;
