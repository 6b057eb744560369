//! Reads, writes, checks and applies mapping.yaml the way the OSC platform does.
//!
//! [`Mapping::parse`] reads the file and [`Mapping::render`] writes it; [`generate`] makes one
//! from the images a chart deploys and the package's image tars; [`check`] finds what would go
//! wrong on the platform; [`apply`] rewrites values.yaml as the platform does after the push.
//! For an operator bundle, [`operator_images`] finds the images of its CSV, and
//! [`generate_operator`], [`check_operator`] and [`apply_operator`] do the same for the CSV.

mod apply;
mod check;
mod error;
mod found;
mod generate;
mod model;
mod operator;
mod render;

pub use crate::apply::{Applied, Change, apply};
pub use crate::check::check;
pub use crate::error::Error;
pub use crate::found::Tar;
pub use crate::generate::{Generated, Unmappable, UnmatchedTar, generate};
pub use crate::model::{
    Address, EnvImage, Instance, Lifecycle, LifecycleContainer, Mapping, Package, Part,
};
pub use crate::operator::{
    AppliedCsv, ContainerImage, EnvImageUse, ExampleImage, OperatorImages, RelatedImageUse,
    UnmovableImage, apply_operator, check_operator, generate_operator, operator_images,
    operator_images_with_tars,
};
pub use crate::render::Comments;
pub use osc_diagnostic::{Diagnostic, Severity};
