//! Front ends for files that are not crnl: each produces checked IR, so the
//! rest of the pipeline is the same whatever the input format.

pub mod bionetgen;
pub mod crn_text;
