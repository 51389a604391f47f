//! Shared by the integration tests: stand-in models and helpers for running the binary.
#![allow(dead_code)]

pub mod standin;
