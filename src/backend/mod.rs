//! Backends: everything that reads the elementary CRN and writes a format.
//! Each reads only [`crate::crn::Crn`].

pub mod json;
pub mod sbml;
pub mod text;

/// A number as every text format here accepts it: Rust's shortest round-trip
/// digits, in exponent form (`1.5e-7`) outside [1e-4, 1e15) so that tiny and
/// huge rates stay short and parse in crnsimulator.
pub fn number(x: f64) -> String {
    let magnitude = x.abs();
    if x == 0.0 || (1e-4..1e15).contains(&magnitude) { format!("{x}") } else { format!("{x:e}") }
}

#[cfg(test)]
mod tests {
    use super::number;

    #[test]
    fn numbers_round_trip_and_stay_short() {
        for x in [0.0, 1.0, 0.2, 2.5e-9, 6.02214076e23, 123456.789, 1e-4, 0.1 + 0.2] {
            let text = number(x);
            assert_eq!(text.parse::<f64>().unwrap(), x, "{text}");
            assert!(text.len() < 24, "{text}");
        }
        assert_eq!(number(1e-7), "1e-7");
        assert_eq!(number(3.0), "3");
    }
}
