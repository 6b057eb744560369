//! helm-osc's integration tests: the binary as users run it, on the example chart and on fixture
//! charts, with the real Helm where Helm's view matters.

mod convert;
mod discovery;
mod hostile;
mod images;
mod lint;
mod operator;
mod package;
mod plugin;
mod push;
mod support;
mod verify;
