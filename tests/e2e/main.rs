//! End-to-end tests: the real server over real websockets and HTTP, on a real SQLite file.

mod access;
mod accounts;
mod audit;
mod bad_input;
mod cluster;
mod coverage;
mod durability;
mod live;
mod ops;
mod redaction;
mod repair;
mod slow_clients;
mod submit;
mod summary;
mod tls;
mod workflow;
